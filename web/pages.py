"""The managers' pages: today, a unit's day, a person's month."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("pages/index.html")
