"""What the surveys app announces to the apps above it, which it may not import.

`answers_counted` is sent inside the transaction that wrote a study's
pseudonymous answers (a round's close) or changed the protocol they are
judged by, with the study and the first round whose figures it changed
(`from_number`). The analysis app stores the closed rounds' figures on it
(analysis.apps, analysis.services.figures), in that same transaction.
"""

from django.dispatch import Signal

answers_counted = Signal()
