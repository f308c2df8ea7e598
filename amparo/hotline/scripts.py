"""The hotline's guided scripts, as data: what to say and the few questions to ask.

One script per :class:`~amparo.hotline.models.Situation` (DOMAIN.md §4–§7). The intake page
renders a script in the caller's language while the rest stays in the responder's.
Questions ask only what an outcome needs (``Intake.REQUIRED_FOR_OUTCOME``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Situation

TEXT, LONG, PHONE, A_NUMBER, CHOICE = "text", "long", "phone", "a_number", "choice"


@dataclass(frozen=True)
class Question:
    key: str
    label: Any  # a lazy translation
    kind: str = TEXT
    help: Any = ""
    choices: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Script:
    situation: str
    say: tuple[Any, ...]
    questions: tuple[Question, ...] = field(default_factory=tuple)


NOT_LEGAL_ADVICE = _("This is general information, not legal advice. A lawyer can advise you.")

# DOMAIN.md §4, in the order a responder says them.
RIGHTS = (
    _("Stay calm and do not run."),
    _("You may stay silent. Do not say where you were born or what your status is."),
    _("Do not sign anything without a lawyer. Ask for a lawyer."),
    _("Never lie and never show false documents."),
    _('Ask: "Am I free to leave?" If yes, leave calmly.'),
)
DOOR = (
    _("Do not open the door to agents. Ask them to slide the warrant under the door."),
    _(
        "Only a judicial warrant, signed by a judge or magistrate and naming the place or "
        "person, allows agents into private areas without consent."
    ),
    _(
        "An administrative warrant (DHS forms I-200 or I-205) is signed by an immigration "
        "officer. It does not allow entry into a home or private area without consent."
    ),
)
WITNESS = _(
    "Anyone may record from a safe distance without interfering: note badge numbers, "
    "vehicles, who is taken and where."
)

CALLBACK_NUMBER = Question(
    "callback_number",
    _("A number to call or text back (optional)"),
    PHONE,
    _("Only if the caller wants to be contacted."),
)
WHERE = Question(
    "where",
    _("Where (workplace or address)"),
    TEXT,
    _("Needed to send the response team or record a raid report."),
)
YES_NO_UNKNOWN = (("yes", _("yes")), ("no", _("no")), ("unknown", _("don't know")))

SCRIPTS: dict[str, Script] = {
    Situation.RAID_NOW: Script(
        Situation.RAID_NOW,
        say=(
            _("We are with you. Tell me where you are and what you see."),
            *RIGHTS,
            DOOR[1],
            WITNESS,
            _("If you can, keep a safe distance and tell me what is happening."),
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            WHERE,
            Question("size", _("Size: how many agents and vehicles?")),
            Question("activity", _("Activity: what are the agents doing?"), LONG),
            Question("uniform", _("Uniform or agency (ICE, HSI, police, unknown)")),
            Question("time", _("Time: when did it start?")),
            Question("equipment", _("Equipment: weapons, vehicles, anything else")),
            Question("detained", _("Is anyone detained?"), CHOICE, choices=YES_NO_UNKNOWN),
            CALLBACK_NUMBER,
        ),
    ),
    Situation.DETAINED: Script(
        Situation.DETAINED,
        say=(
            _("I am sorry. We will help you find your family member."),
            _(
                "ICE's Online Detainee Locator needs the A-number (9 digits) and the country "
                "of birth, or the exact first and last name and the country of birth."
            ),
            _("The A-number is on the Notice to Appear (Form I-862) and on other papers."),
            _("Your family member should not sign anything without a lawyer."),
            _("They may ask that their consulate be told."),
            _("Questions about bond go to an attorney; we can connect you with free legal help."),
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            Question("detainee_name", _("Name, exactly as on their documents")),
            Question(
                "a_number",
                _("A-number (9 digits)"),
                A_NUMBER,
                _("Shorter numbers are padded with zeros at the front."),
            ),
            Question("country_of_birth", _("Country of birth")),
            Question("taken_where", _("Where and when were they taken?")),
            WHERE,
            CALLBACK_NUMBER,
        ),
    ),
    Situation.AGENTS_HOME: Script(
        Situation.AGENTS_HOME,
        say=(
            *DOOR,
            _("You may stay silent. You may speak through the closed door."),
            _("Do not sign anything without a lawyer."),
            WITNESS,
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            WHERE,
            Question(
                "warrant",
                _("Did they show a warrant?"),
                CHOICE,
                choices=(
                    ("judicial", _("judicial (signed by a judge)")),
                    ("administrative", _("administrative (I-200, I-205)")),
                    ("none", _("none shown")),
                    ("unknown", _("don't know")),
                ),
            ),
            Question("size", _("How many agents, which agency?")),
            CALLBACK_NUMBER,
        ),
    ),
    Situation.WORKPLACE_ABUSE: Script(
        Situation.WORKPLACE_ABUSE,
        say=(
            _("Every worker has rights at work, whatever their immigration status."),
            _("Write down dates, hours worked, pay received and the names of witnesses."),
            _("Do not quit and do not discuss your status with the employer."),
            _("We can connect you with free legal help and with the worker committee."),
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            Question(
                "abuse",
                _("What kind of abuse?"),
                CHOICE,
                choices=(
                    ("wage_theft", _("wage theft")),
                    ("harassment", _("sexual harassment")),
                    ("retaliation", _("retaliation")),
                    ("other", _("other")),
                ),
            ),
            Question("employer", _("Employer (name of the workplace)")),
            Question("what_happened", _("What happened?"), LONG),
            WHERE,
            CALLBACK_NUMBER,
        ),
    ),
    Situation.HATE_CRIME: Script(
        Situation.HATE_CRIME,
        say=(
            _("Are you safe right now? If someone is hurt, call 911."),
            _("Write down what happened, when, and who saw it. Keep photos and messages."),
            _("You can report it without giving your immigration status."),
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            Question("safe_now", _("Is the caller safe now?"), CHOICE, choices=YES_NO_UNKNOWN),
            WHERE,
            Question("what_happened", _("What happened?"), LONG),
            CALLBACK_NUMBER,
        ),
    ),
    Situation.AUDIT: Script(
        Situation.AUDIT,
        say=(
            _("An I-9 audit checks the employer's paperwork; it is not a raid."),
            _(
                "A no-match letter is not proof of immigration status and is not by itself "
                "a reason for discipline. Most mismatches are typos or name changes."
            ),
            _("Do not quit and do not discuss your status. Push back on short deadlines."),
            _("The union can ask for the notices and bargain over the effects."),
            NOT_LEGAL_ADVICE,
        ),
        questions=(
            Question(
                "notice",
                _("Which notice or letter?"),
                CHOICE,
                choices=(
                    ("inspection", _("Notice of Inspection")),
                    ("suspect", _("Notice of Suspect Documents")),
                    ("discrepancies", _("Notice of Discrepancies")),
                    ("no_match", _("no-match letter")),
                    ("other", _("other or don't know")),
                ),
            ),
            Question("employer", _("Employer (name of the workplace)")),
            Question("received_on", _("When was it received, and what deadline is given?")),
            WHERE,
            CALLBACK_NUMBER,
        ),
    ),
    Situation.QUESTION: Script(
        Situation.QUESTION,
        say=(_("Thank you for calling. How can we help?"), NOT_LEGAL_ADVICE),
        questions=(Question("question", _("The question"), LONG), WHERE, CALLBACK_NUMBER),
    ),
}


def script_for(situation: str) -> Script:
    return SCRIPTS.get(situation) or SCRIPTS[Situation.QUESTION]


def a_number_normalize(text: str) -> str | None:
    """An A-number as the locator wants it: 9 digits, zero-padded; None if not one."""
    digits = "".join(c for c in (text or "") if c.isdigit())
    if not digits or len(digits) > 9:
        return None
    return digits.zfill(9)
