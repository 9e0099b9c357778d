"""Errors raised by clinical actions; views show their message, the API answers 422/409."""


class ClinicalError(Exception):
    """A request the action refuses, with a message for the user."""
