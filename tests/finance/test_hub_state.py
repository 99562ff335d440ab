"""The CDR page says what the hub holds of each CDR of the chain (issue 19.8, audit 2 B4):
"queued for the hub" was said of CDRs the hub had acknowledged."""

import pytest
from django.urls import reverse

from sessions.session_push import CDR_MODULE, stream_key
from tests.factories import MessageFactory, StreamFactory


@pytest.mark.django_db
def test_an_acknowledged_cdr_reads_acknowledged_and_an_unsent_one_not_sent(
    client, staff, three_charges
):
    sent, unsent = three_charges["A"], three_charges["B"]
    stream = StreamFactory(key=stream_key(sent.session), module="sessions")
    MessageFactory(
        stream=stream,
        method="POST",
        path="",
        endpoint_module=CDR_MODULE,
        object_id=sent.ocpi_id,
        state="DELIVERED",
    )
    client.force_login(staff["finance"])

    page = client.get(reverse("finance:cdr", args=[sent.pk])).content.decode()
    assert "acknowledged by the hub" in page
    assert "queued for the hub" not in page
    page = client.get(reverse("finance:cdr", args=[unsent.pk])).content.decode()
    assert "not sent: no hub platform took CDRs" in page
