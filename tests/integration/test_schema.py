"""Self-tests of the test tools: the schema validator must reject invalid
messages (so it cannot silently accept everything) and the client's
parser must flag bytes that are not DAP frames."""

import socket
import unittest

from dap_client import DapClient
from dap_schema import DapSchema


class SchemaValidatorTests(unittest.TestCase):
    def setUp(self):
        self.schema = DapSchema.load()

    def test_valid_messages(self):
        for msg in [
            {"seq": 1, "type": "response", "request_seq": 1, "success": True,
             "command": "initialize",
             "body": {"supportsConfigurationDoneRequest": True}},
            {"seq": 2, "type": "event", "event": "initialized"},
            {"seq": 3, "type": "event", "event": "output",
             "body": {"category": "stdout", "output": "hé ✓\n"}},
            {"seq": 4, "type": "event", "event": "exited",
             "body": {"exitCode": -11}},
            {"seq": 5, "type": "response", "request_seq": 9,
             "success": False, "command": "launch", "message": "no",
             "body": {"error": {"id": 1, "format": "no {x}",
                                "variables": {"x": "y"}}}},
            {"seq": 6, "type": "event", "event": "somethingCustom",
             "body": {"anything": [1, 2]}},
        ]:
            self.assertEqual(self.schema.validate_message(msg), [], msg)

    def test_invalid_messages(self):
        cases = [
            ({"seq": 1, "type": "event", "event": "exited", "body": {}},
             "exitCode"),
            ({"seq": 1, "type": "event", "event": "exited",
              "body": {"exitCode": "0"}}, "integer"),
            ({"seq": 1, "type": "event", "event": "exited",
              "body": {"exitCode": True}}, "integer"),
            ({"seq": 0, "type": "event", "event": "initialized"}, "minimum"),
            ({"seq": "1", "type": "event", "event": "x"}, "integer"),
            ({"seq": 1, "type": "response", "request_seq": 1,
              "success": True}, "command"),
            ({"seq": 1, "type": "response", "request_seq": 1,
              "success": False, "command": "launch"}, "body"),
            ({"seq": 1, "type": "event", "event": "output",
              "body": {"output": 5}}, "string"),
            ({"seq": 1, "type": "event", "event": "process",
              "body": {"name": "x", "startMethod": "teleport"}}, "teleport"),
        ]
        for msg, needle in cases:
            errors = self.schema.validate_message(msg)
            self.assertTrue(errors, "accepted an invalid message: %r" % msg)
            self.assertIn(needle, " ".join(errors), msg)

    def test_definition_mapping(self):
        d = self.schema.definition_for
        self.assertEqual(d({"type": "response", "command": "configurationDone",
                            "success": True}), "ConfigurationDoneResponse")
        self.assertEqual(d({"type": "response", "command": "launch",
                            "success": False}), "ErrorResponse")
        self.assertEqual(d({"type": "response", "command": "fooBar",
                            "success": True}), "Response")
        self.assertEqual(d({"type": "event", "event": "initialized"}),
                         "InitializedEvent")
        self.assertEqual(d({"type": "event", "event": "output"}),
                         "OutputEvent")
        self.assertEqual(d({"type": "event", "event": "fooBar"}), "Event")


class ClientParserTests(unittest.TestCase):
    def feed(self, data):
        ours, theirs = socket.socketpair()
        c = DapClient("selftest", ours.recv, ours.sendall,
                      lambda: None, ours.close)
        theirs.sendall(data)
        theirs.close()
        c.wait_closed(5.0)
        c.close()
        return c

    def frame(self, text):
        body = text.encode("utf-8")
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def test_frames_split_anywhere(self):
        data = (self.frame('{"seq": 1, "type": "event", "event": "initialized"}')
                + self.frame('{"seq": 2, "type": "event", "event": "output",'
                             ' "body": {"output": "h\u00e9 \u2713"}}'))
        c = self.feed(data)
        self.assertEqual(c.violations, [])
        self.assertEqual([m["seq"] for m in c.messages], [1, 2])
        self.assertEqual(c.output(), "h\u00e9 \u2713")
        self.assertEqual(c.protocol_problems(), [])

    def test_unframed_bytes_are_violations(self):
        c = self.feed(b"hello world\n" * 500)
        self.assertTrue(c.violations)
        c = self.feed(self.frame('{"seq": 1, "type": "event", '
                                 '"event": "initialized"}') + b"stray\r\n\r\n")
        self.assertTrue(c.violations)
        c = self.feed(self.frame("not json"))
        self.assertTrue(c.violations)

    def test_seq_gaps_are_problems(self):
        c = self.feed(self.frame('{"seq": 1, "type": "event", '
                                 '"event": "initialized"}')
                      + self.frame('{"seq": 3, "type": "event", '
                                   '"event": "initialized"}'))
        self.assertTrue(c.protocol_problems())
