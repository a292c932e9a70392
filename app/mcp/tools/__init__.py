"""The tools: plain typed functions over an athlete's Intervals.icu session.

Tools never know about HTTP, OAuth or the database; they receive an :class:`AthleteContext`
(the caller's resolved Intervals.icu session, timezone and clock) from a provider.
"""
