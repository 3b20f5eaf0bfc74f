"""The pure judgement: calendar, schedules, leave, policy values, the day and its sessions.

Plain data in, plain data out, with the clock passed in. Imports nothing of ours but
``monitor.errors``, and nothing from SQLite, Flask, pyserial or APScheduler.
"""
