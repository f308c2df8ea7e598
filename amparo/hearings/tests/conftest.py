from amparo.cases.tests.conftest import legal_a  # noqa: F401
