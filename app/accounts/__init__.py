"""Athlete accounts: sign-in with an Intervals.icu API key (or Intervals.icu OAuth), browser
sessions, the access policy, the account page and the operator commands."""
