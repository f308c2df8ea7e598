import io

from pypdf import PdfReader

from amparo.lib.pdf import covers, output, paper, paragraph


def test_spanish_and_vietnamese_print_as_written_and_markup_stays_text():
    pdf = paper(title="Prueba", foot="Página ")
    paragraph(pdf, "¿Dónde está? ¡Aquí! Núñez Peña Ibáñez · Nguyễn Thị Lan · <b>no</b>")
    text = PdfReader(io.BytesIO(output(pdf))).pages[0].extract_text()
    assert "¿Dónde está? ¡Aquí! Núñez Peña Ibáñez" in text
    assert "Nguyễn Thị Lan" in text
    assert "<b>no</b>" in text


def test_covers_tells_which_scripts_the_shipped_font_lacks():
    assert covers("áéíóúñ¿¡ Nguyễn Привет Ελλάδα")
    assert not covers("李小龍")
    assert not covers("नमस्ते")
