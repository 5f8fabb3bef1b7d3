"""The suite must fail loudly on any hidden download or telemetry call."""

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_outbound_connections_are_blocked():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_telemetry_is_off_by_default():
    import os

    import assistant  # noqa: F401

    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
