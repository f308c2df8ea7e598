from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from amparo.accounts.models import AuditEvent, Membership, Network, User
from amparo.accounts.services import membership_grant
from amparo.conftest import PASSWORD, client_for, password_mails


@pytest.mark.django_db
def test_login_by_email_is_case_insensitive_and_audited(client, coordinator_a):
    response = client.post(reverse("login"), {"username": "ALICE@a.example ", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert AuditEvent.objects.filter(action="login", actor=coordinator_a).exists()


@pytest.mark.django_db
def test_wrong_password_is_explained_in_spanish_and_not_logged(client, coordinator_a):
    client.cookies["amparo_language"] = "es"
    response = client.post(reverse("login"), {"username": "alice@a.example", "password": "nope"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "no coinciden" in page
    assert "alice@a.example" in page  # kept in the form, so nothing typed is lost
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor is None and event.note == "" and event.fields == []


@pytest.mark.django_db
def test_create_network_bootstraps_a_coordinator_who_can_set_a_password(client):
    out = StringIO()
    call_command(
        "create_network", "norte", name="Red Norte", coordinator="jefa@norte.example", stdout=out
    )
    network = Network.objects.get(slug="norte")
    user = User.objects.find_by_email("jefa@norte.example")
    assert user is not None and not user.has_usable_password()
    membership = Membership.objects.get(user=user, network=network)
    assert membership.role_slugs() == ["coordinator"]
    link = re.search(r"http://\S+/accounts/password/reset/\S+", out.getvalue())
    assert link is not None
    path = link.group(0).split("127.0.0.1:8000", 1)[1]
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "un-secreto-largo-42", "new_password2": "un-secreto-largo-42"}
    )
    assert done.status_code == 302
    assert client.login(username="jefa@norte.example", password="un-secreto-largo-42")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_network", "norte", name="x", coordinator="b@norte.example")
    with pytest.raises(CommandError):
        call_command("create_network", "bad slug!", name="x", coordinator="b@norte.example")


@pytest.mark.django_db
def test_password_reset_mail_finds_the_user_by_blind_index(client, coordinator_a):
    response = client.post(reverse("password_reset"), {"email": "Alice@A.example"})
    assert response.status_code == 302
    assert len(password_mails()) == 1  # written by the worker, sent through the outbox
    assert mail.outbox[0].to == ["alice@a.example"]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    # an unknown address gets the same answer and no mail
    client.post(reverse("password_reset"), {"email": "nobody@a.example"})
    assert len(password_mails()) == 1


@pytest.mark.django_db
def test_roles_are_data_with_names_in_both_languages(network_a, volunteer_a):
    from amparo.accounts.models import Role

    slugs = set(Role.objects.values_list("slug", flat=True))
    assert {
        "coordinator",
        "dispatcher",
        "hotline",
        "verifier",
        "legal",
        "committee",
        "fund",
    } <= slugs
    for role in Role.objects.all():
        assert role.name.get("en") and role.name.get("es")
    membership_grant(user=volunteer_a, network=network_a, roles=["dispatcher"])
    caps = Membership.objects.get(user=volunteer_a).capabilities()
    assert "dispatch" in caps and "network.manage" not in caps
    with pytest.raises(ValueError, match="unknown roles"):
        membership_grant(user=volunteer_a, network=network_a, roles=["emperor"])


@pytest.mark.django_db
def test_audit_log_is_append_only_in_the_model(coordinator_a):
    event = AuditEvent.objects.filter(actor=None).first() or AuditEvent.objects.first()
    assert event is not None
    event.note = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(note="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_audit_log_is_append_only_in_the_database():
    from importlib import import_module

    migration = import_module("amparo.accounts.migrations.0002_roles_and_append_only_audit")
    AuditEvent.objects.create(action="read", note="kept")
    with connection.schema_editor() as editor:
        migration.install_triggers(editor)
    try:
        for sql in (
            "UPDATE accounts_auditevent SET note = 'rewritten'",
            "DELETE FROM accounts_auditevent",
        ):
            with (
                pytest.raises(Exception, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
        assert AuditEvent.objects.get().note == "kept"
    finally:
        with connection.schema_editor() as editor:
            migration.uninstall_triggers(editor)


@pytest.mark.django_db
def test_audit_read_records_who_read_what(coordinator_a, network_a):
    from amparo.accounts.audit import audit_read

    event = audit_read(actor=coordinator_a, obj=coordinator_a, network=network_a, reason="case")
    assert event.action == "read"
    assert event.target_type == "accounts.user" and event.target_id == str(coordinator_a.pk)
    assert event.actor == coordinator_a and event.network == network_a


@pytest.mark.django_db
def test_each_role_sees_its_own_dashboard(network_a, coordinator_a, volunteer_a):
    coordinator_page = client_for(coordinator_a).get("/").content.decode()
    volunteer_page = client_for(volunteer_a).get("/").content.decode()
    assert "Recent activity" in coordinator_page and "Sandbox phone" in coordinator_page
    assert "Committees and their task boards" in volunteer_page
    assert "Recent activity" not in volunteer_page
    assert "Sandbox phone" not in volunteer_page


@pytest.mark.django_db
def test_user_in_two_networks_switches_between_them(network_a, network_b, coordinator_a):
    membership_grant(user=coordinator_a, network=network_b, roles=["hotline"])
    client = client_for(coordinator_a)
    assert "Network A" in client.get("/").content.decode()
    client.post(
        reverse("switch_network"), {"network": network_b.pk, "next": "https://evil.example/"}
    )
    page = client.get("/").content.decode()
    assert "<h1>Network B</h1>" in page
