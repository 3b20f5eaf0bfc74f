"""The words of the messages, Vietnamese and English (the reports' convention: pairs).

Templates call ``t(key, **values)``; a key missing here is shown as itself, so a typo is
visible in the preview rather than silently blank.
"""

from __future__ import annotations

from datetime import date

WORDS: dict[str, tuple[str, str]] = {
    "brand": ("Chấm công", "Attendance"),
    "morning": ("buổi sáng", "morning"),
    "afternoon": ("buổi chiều", "afternoon"),
    "weekly": ("tổng hợp tuần", "weekly summary"),
    "present": ("Có mặt", "Present"),
    "late": ("Đi muộn", "Late"),
    "leave": ("Vắng có lý do", "Absent with a reason"),
    "absent": ("Vắng không lý do", "Absent without a reason"),
    "pending": ("Chưa chấm công", "Not in yet"),
    "early": ("Về sớm", "Left early"),
    "missing": ("Thiếu chấm công", "Missing punch"),
    "required": ("Phải có mặt", "Required"),
    "late_list": ("Đi muộn", "Late"),
    "times_this_month": ("lần thứ {count} trong tháng", "{count} times this month"),
    "absences": ("Vắng có lý do", "Absent with a reason"),
    "not_in_yet": ("Chưa chấm công", "Not in yet"),
    "yesterday": ("Ngày làm việc trước ({day})", "Previous working day ({day})"),
    "left_early": ("Về sớm", "Left early"),
    "missing_in": ("Quên chấm công vào", "No punch in"),
    "missing_out": ("Quên chấm công ra", "No punch out"),
    "devices": ("Thiết bị", "Devices"),
    "devices_online": ("{online}/{total} trực tuyến", "{online}/{total} online"),
    "device_offline": ("{device} mất kết nối", "{device} offline"),
    "device_skew": ("{device} lệch giờ {offset}", "{device} clock off by {offset}"),
    "requests_waiting": ("Chờ anh/chị duyệt", "Waiting for your approval"),
    "open_page": ("Xem chi tiết", "Open the page"),
    "nobody": ("Không có", "None"),
    "not_judged": (
        "Chưa có kết quả chấm công của ngày này (bộ thu thập chưa chấm).",
        "No judged days for this date yet (the collector has not judged them).",
    ),
    "footer": (
        "Thư tự động từ hệ thống giám sát chấm công. Đổi địa chỉ hoặc ngừng nhận: {link}",
        "An automatic message from the attendance monitor. Change your address or stop these: {link}",
    ),
    "footer_nolink": (
        "Thư tự động từ hệ thống giám sát chấm công. Đổi địa chỉ hoặc ngừng nhận trên trang Nhận thông báo.",
        "An automatic message from the attendance monitor. Change your address or stop these on the Notifications page.",
    ),
    "week_of": ("Tuần {first} – {last}", "Week {first} – {last}"),
    "unit": ("Đơn vị", "Unit"),
    "working_days": ("Ngày làm việc", "Working days"),
    "person_days": ("Lượt phải có mặt", "Person-days required"),
    "alert_title": ("Cảnh báo", "Alert"),
    "alert_problems": ("{count} vấn đề cần xử lý", "{count} problem(s) to look at"),
    "alert_recovered": ("Đã trở lại bình thường", "Back to normal"),
    "alert_since": ("từ {since}", "since {since}"),
    "alert_still": ("vẫn còn", "still"),
    "test_subject": ("Thư thử", "Test message"),
    "test_body": (
        "Thư thử từ hệ thống giám sát chấm công {site}: máy chủ thư {server} đã nhận thư này lúc {moment}.",
        "A test message from the attendance monitor {site}: the mail server {server} accepted it at {moment}.",
    ),
    "reminder": ("Nhắc việc", "Reminder"),
}
WEEKDAYS = (
    ("Thứ Hai", "Monday"), ("Thứ Ba", "Tuesday"), ("Thứ Tư", "Wednesday"), ("Thứ Năm", "Thursday"),
    ("Thứ Sáu", "Friday"), ("Thứ Bảy", "Saturday"), ("Chủ Nhật", "Sunday"),
)
LANGS = ("vi", "en")


def word(key: str, lang: str, **values: object) -> str:
    """The phrase ``key`` in ``lang`` with ``values`` filled in."""
    pair = WORDS.get(key)
    text = pair[LANGS.index(lang)] if pair else key
    return text.format(**values) if values else text


def pick(pair: tuple[str, str] | str, lang: str) -> str:
    """A (Vietnamese, English) pair handed in by a source, in ``lang``; a plain string as is."""
    return pair if isinstance(pair, str) else pair[LANGS.index(lang)]


def day_text(day: date, lang: str, *, weekday: bool = False) -> str:
    """``Thứ Năm 26/11/2026`` in Vietnamese, ``Thursday 2026-11-26`` in English."""
    text = day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()
    return f"{WEEKDAYS[day.weekday()][LANGS.index(lang)]} {text}" if weekday else text


def minutes_text(seconds: float, lang: str) -> str:
    """A clock offset as ``+3 phút`` / ``+3 min`` (seconds when under a minute)."""
    if abs(seconds) < 60:
        return f"{seconds:+.0f} {'giây' if lang == 'vi' else 's'}"
    return f"{seconds / 60:+.0f} {'phút' if lang == 'vi' else 'min'}"
