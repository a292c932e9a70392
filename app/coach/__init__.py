"""Coach access (issue 18): who a signed-in coach may act for, and what each athlete hides.

``policy`` (pure: the categories an athlete may hide and how an answer is filtered), ``roster``
(pure: a coach's roster, resolving the model's ``athlete`` argument, the short-lived cache),
``store`` (the database side: the athlete's sharing choices, written by the sharing page).
"""
