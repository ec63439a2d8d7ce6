"""Pages of the surveys app, one module per role: the home page, the panelist's, the invitee's, the facilitator's."""
