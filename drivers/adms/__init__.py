"""ZKTeco PUSH over HTTP ("ADMS", "cloud server", ``/iclock/...``): the pure protocol.

The clock is the HTTP client and the server only answers (protocols.md §9). This
package has no HTTP server and no database: it reads what a clock sends and writes what
a server answers, so any web framework can carry it. Modules, bottom up:

* :mod:`.limits` — size caps and their checks; :mod:`.errors` — the exceptions;
* :mod:`.query` — the query string (``SN``, ``table``, ``Stamp``...) and the endpoint;
* :mod:`.attlog`, :mod:`.operlog` — the upload bodies, bad lines refused one by one;
* :mod:`.replies` — the init options, ``type=time`` and ``OK`` replies;
* :mod:`.commands` — the whitelisted commands, the heartbeat reply, command results;
* :mod:`.status` — ``INFO=``, an ``INFO`` result's lines, the registry body.

See docs/adms.md.
"""

from drivers.adms.attlog import STATE_TABLES, VERIFY_MODES, AttlogBatch, format_attlog_line, parse_attlog
from drivers.adms.commands import (
    Command,
    CommandReply,
    CommandResult,
    CommandResults,
    check,
    command_reply,
    info,
    parse_command_results,
    query_attlog,
    reboot,
    set_time,
)
from drivers.adms.errors import BadQuery, BadSerialNumber, BodyTooLarge, PushFrameError, UnsafeCommand
from drivers.adms.status import DeviceStatus, parse_device_status, parse_key_values, parse_registry
from drivers.adms.limits import MAX_BODY_BYTES, check_body, check_content_length
from drivers.adms.operlog import TAMPER_CODES, OpCode, Operation, OperlogBatch, parse_operlog
from drivers.adms.query import Endpoint, PushQuery, endpoint, parse_query
from drivers.adms.replies import OK, PushOptions, ok_reply, options_reply, time_reply
from drivers.adms.text import LineError

__all__ = [
    "MAX_BODY_BYTES", "OK", "STATE_TABLES", "TAMPER_CODES", "VERIFY_MODES",
    "AttlogBatch", "BadQuery", "BadSerialNumber", "BodyTooLarge", "Command", "CommandReply", "CommandResult",
    "CommandResults", "DeviceStatus", "Endpoint", "LineError", "OpCode", "Operation", "OperlogBatch", "PushFrameError",
    "PushOptions", "PushQuery", "UnsafeCommand",
    "check", "check_body", "check_content_length", "command_reply", "endpoint", "format_attlog_line", "info",
    "ok_reply", "options_reply", "parse_attlog", "parse_command_results", "parse_device_status", "parse_key_values",
    "parse_operlog", "parse_query", "parse_registry", "query_attlog", "reboot", "set_time", "time_reply",
]
