"""The one error type of the explore API: an HTTP status, a code for the page, a message for people.

Every bad request becomes a `RequestError`, which the server sends as JSON:

    {"error": {"code": "unknown_word", "message": "word 'pariss' is not in ...; did you mean 'paris'?",
               "suggestions": ["paris"]}}

Codes the page acts on: unknown_word (suggestions to click), unknown_file, bad_parameter,
bad_expression, not_found, method_not_allowed, forbidden_host, too_large, busy, internal.
"""

from __future__ import annotations

from cbow.errors import CbowError


class RequestError(CbowError):
    """A request the API cannot answer, and why (sent as a JSON error with `status`).

    Parameters
    ----------
    status : HTTP status (400 bad request, 404 unknown word or file, 405, 413, ...)
    code : short machine-readable reason (see the module docstring)
    message : one line for people: what is wrong and what to do
    details : more JSON fields for the page (e.g. "suggestions": [...])
    """

    def __init__(self, status: int, code: str, message: str, **details) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> dict:
        """The body sent to the page."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}
