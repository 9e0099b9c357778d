"""The waitlist: patients waiting for an earlier time, matched to freed slots, booked in one
click by staff or offered by email and text message (the first to accept gets the slot).

models (WaitlistEntry, WaitlistOffer, OfferRecipient), matching (who fits a slot, ranked),
actions (audited writes), offers (signed links and messages), views, forms, urls, api.
docs/scheduling.md, "Waitlist".
"""
