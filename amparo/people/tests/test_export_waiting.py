"""Export requests waiting for a second person: the approvers' home page says how many
(never the requester's), links to them, and the approvers get a text (one per window)."""

from __future__ import annotations

import pytest

from amparo.accounts.models import Network, User
from amparo.cases.tests.conftest import member
from amparo.channels.models import Delivery
from amparo.conftest import client_for
from amparo.people.export_requests import export_request_create, export_request_decide
from amparo.people.tests.test_export import people  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

WAITING = 'id="exports-waiting"'


def test_the_approvers_home_and_a_text(network_a: Network, coordinator_a: User, people) -> None:
    approver = member(network_a, ["coordinator"], language="es", phone="+14135550431")
    member(network_a, ["committee"], phone="+14135550432")  # cannot export: not told
    assert WAITING not in client_for(approver).get("/").content.decode()
    request = export_request_create(network=network_a, actor=coordinator_a, kind="csv")
    export_request_create(network=network_a, actor=coordinator_a, kind="xlsx")
    home = client_for(approver, language="es").get("/").content.decode()
    assert WAITING in home and "/people/import/export/requests/" in home
    assert "2 exportaciones esperan su aprobación" in home
    assert WAITING not in client_for(coordinator_a).get("/").content.decode()  # the requester
    told = list(Delivery.objects.filter(purpose="export-waiting"))
    # one text per approver and window however many requests (EXPORT_WAITING_TEXTS)
    assert [d.to_address for d in told] == ["+14135550431"]
    assert "/people/import/export/requests/" in told[0].body
    assert f"{request.count} personas" in told[0].body
    assert "segunda persona" in told[0].body  # in the approver's language
    export_request_decide(request=request, actor=approver, approve=True)
    home = client_for(approver).get("/").content.decode()
    assert "1 exportación espera su aprobación" in home
