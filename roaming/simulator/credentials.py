"""The hub's credentials endpoint as a CPO reaches it (OCPI 2.2.1 credentials, Gireve §2.2):
Register ToIOP (POST with its token A), read, update (PUT: new tokens both ways), DELETE.
"""

import secrets

import requests

from .server import envelope

Answer = tuple[int, dict, dict]


def _adopt(hub, body) -> bool:
    """Read the client's API with the credentials it sent and keep them (False: unusable)."""
    try:
        endpoints = hub.read_details(body["url"], body["token"])["endpoints"]
    except (requests.RequestException, ValueError, KeyError, TypeError, StopIteration):
        return False
    with hub.lock:
        hub.registered_credentials = body
        hub.client_token = body["token"]
        hub.client_versions_url = body["url"]
        hub.client_endpoints = endpoints
    return True


def register(hub, body) -> Answer:
    """credentials POST with token A (Register ToIOP): read their API with their token."""
    if not _adopt(hub, body):
        return 200, envelope(None, 3001, "Unable to use the client's API"), {}
    hub.unregistered = False
    return 200, envelope(hub.credentials()), {}


def handle(hub, method: str, body) -> Answer:
    """credentials GET, PUT (update) and DELETE (unregister) with the token we gave."""
    if method == "GET":
        return 200, envelope(hub.credentials()), {}
    if method == "DELETE":
        hub.unregistered = True
        return 200, envelope(None), {}
    if method == "PUT":  # update: fetch their endpoints again, issue a new token C
        if not _adopt(hub, body):
            return 200, envelope(None, 3001, "Unable to use the client's API"), {}
        hub.token = "hub-token-c-" + secrets.token_hex(8)
        return 200, envelope(hub.credentials()), {}
    return 405, envelope(None, 2000, "Already registered: use PUT"), {}
