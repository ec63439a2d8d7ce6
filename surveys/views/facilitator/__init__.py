"""The facilitator's pages: the study, its invitations, running rounds, building them, drafting the next.

Thin views: check the input, call one service, render or redirect. Every
study object comes through surveys.access, which answers 404 to anyone who
does not facilitate the study.
"""
