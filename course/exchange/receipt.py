"""Receipts: what the exchange received, when, from whom, signed with its Ed25519 key.

A receipt is a JSON object; its signature covers the canonical bytes of every field but ``signature``
(sorted keys, no spaces, UTF-8). Anyone holding the service's public key can check one; only the
service can make one. Students keep theirs beside the assignment; `python -m course.exchange.receipt
verify RECEIPT.json PUBLIC_KEY` settles "I submitted at 16:59".
"""

import argparse
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def canonical(receipt):
    fields = {key: value for key, value in receipt.items() if key != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def new_key():
    return Ed25519PrivateKey.generate()


def key_bytes(private_key):
    return private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())


def load_key(raw):
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(private_key):
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(receipt, private_key):
    """The receipt with its signature (base64 of Ed25519 over `canonical`)."""
    signature = private_key.sign(canonical(receipt))
    return {**receipt, "signature": base64.b64encode(signature).decode("ascii")}


def is_genuine(receipt, public_key):
    """True when `receipt` carries the signature of the key whose public half is `public_key` (base64)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(receipt["signature"]), canonical(receipt))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def lines(receipt):
    """The receipt as a person reads it: when, who, what, and each file's SHA-256."""
    shown = [f"received {receipt['received']} by the exchange: {receipt['student_id']} / {receipt['assignment_id']} "
             f"(receipt {receipt['receipt_id']})"]
    shown += [f"  sha256 {digest}  {name}" for name, digest in sorted(receipt["files"].items())]
    return shown


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.exchange.receipt", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check a receipt against the exchange's public key")
    verify.add_argument("receipt", help="the receipt's JSON file")
    verify.add_argument("public_key", help="the exchange's public key (base64), or a file holding it")
    args = parser.parse_args(argv)
    with open(args.receipt, encoding="utf-8") as handle:
        receipt = json.load(handle)
    key = args.public_key
    try:
        with open(key, encoding="ascii") as handle:
            key = handle.read().strip()
    except OSError:
        pass
    if not is_genuine(receipt, key):
        print(f"{args.receipt}: NOT signed by this exchange (forged or altered)")
        return 1
    print("\n".join(["genuine receipt:", *lines(receipt)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
