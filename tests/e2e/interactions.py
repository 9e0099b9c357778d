"""Counting what a practitioner does to chart: clicks (taps), key presses and characters typed.

An *interaction* is one deliberate act: a click or tap, a key press (Enter, Space), choosing an
option, or typing into one field (however many characters). Keystrokes are every key pressed,
the characters typed included. docs/charting.md reports both, measured by the browser tests.
"""

import json

from tests.e2e.conftest import ARTIFACTS


class Interactions:
    def __init__(self, page, name: str):
        self.page, self.name = page, name
        self.clicks = self.keys = self.fields = self.characters = self.choices = 0

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def press(self, locator, key: str):
        self.keys += 1
        locator.press(key)

    def type(self, locator, text: str):
        """Typing into one field: one interaction, len(text) keystrokes."""
        self.fields += 1
        self.characters += len(text)
        locator.fill(text)

    def choose(self, locator, value: str):
        """Choosing an option of a select: one interaction (a tap, or a key on the keyboard)."""
        self.choices += 1
        locator.select_option(value)

    @property
    def interactions(self) -> int:
        return self.clicks + self.keys + self.fields + self.choices

    @property
    def keystrokes(self) -> int:
        return self.keys + self.characters

    def report(self) -> dict:
        counts = {
            "interactions": self.interactions,
            "clicks": self.clicks,
            "key_presses": self.keys,
            "fields_typed": self.fields,
            "characters_typed": self.characters,
            "options_chosen": self.choices,
            "keystrokes": self.keystrokes,
        }
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"interactions-{self.name}.json").write_text(json.dumps(counts, indent=2))
        print(f"\n{self.name}: {json.dumps(counts)}")
        return counts
