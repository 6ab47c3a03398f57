"""boto3 clients for the audit (one session, standard retries, the endpoint override) and the read wrapper that
turns an API error into an `incomplete` entry naming the call and the error, never into a pass."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

from .model import WORKERS, AuditResult, Incomplete

MAX_ATTEMPTS = 5
XML_ERROR = re.compile(r"<Code>(?P<code>[^<]+)</Code>\s*<Message>(?P<message>[^<]*)</Message>")
T = TypeVar("T")


class CheckFailed(Exception):
    """A read failed; the failure is already recorded as incomplete."""


def client_config(workers: int = WORKERS) -> botocore.config.Config:
    return botocore.config.Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        max_pool_connections=workers * 2,
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra="gpu-enclave-audit",
    )


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    return boto3.Session(profile_name=profile, region_name=region)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        code = error.get("Code") or str(status)
        message = " ".join(str(error.get("Message") or "").split())
        xml = XML_ERROR.search(message)
        if xml:  # an XML error body where the protocol expected JSON (moto's auth errors): its code and message
            code, message = xml.group("code"), xml.group("message")
        if message.lower().startswith("<!doctype") or message.lower().startswith("<html"):
            message = "the endpoint does not implement this API" if code == "404" else "an HTML error page"
        return f"{code}: {message[:300]}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def error_code(exc: Exception) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


class Reader:
    """Clients of one session plus the result the failures go to."""

    def __init__(
        self,
        session: boto3.Session,
        result: AuditResult,
        endpoint_url: str | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.session = session
        self.result = result
        self.endpoint_url = endpoint_url
        self.workers = workers
        self._config = client_config(workers)
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """The client of `service` in the audit's region, or in `region` (a backup replica's)."""
        where = region or self.result.region
        if (service, where) not in self._clients:
            self._clients[(service, where)] = self.session.client(
                service, endpoint_url=self.endpoint_url, config=self._config, region_name=where
            )
        return self._clients[(service, where)]

    def probe(self, service: str) -> Any:
        """A client that gives up after two attempts: the first call finds out quickly whether AWS answers."""
        config = self._config.merge(botocore.config.Config(retries={"mode": "standard", "max_attempts": 2}))
        return self.session.client(
            service, endpoint_url=self.endpoint_url, config=config, region_name=self.result.region
        )

    def fail(self, check: str, call: str, exc: Exception) -> CheckFailed:
        self.result.add_incomplete(Incomplete(check, f"{call}: {error_text(exc)}"))
        return CheckFailed(check)

    def call(
        self, check: str, service: str, op: str, absent: Iterable[str] = (), in_region: str | None = None, **kwargs: Any
    ) -> dict[str, Any] | None:
        """One read (in the audit's region, or `in_region`); None when the error code says the setting is absent
        (e.g. NoSuchBucketPolicy)."""
        client = self.client(service, in_region)
        name = f"{service}:{client.meta.method_to_api_mapping.get(op, op)}"
        try:
            response: dict[str, Any] = getattr(client, op)(**kwargs)
            return response
        except ClientError as exc:
            if error_code(exc) in set(absent):
                return None
            raise self.fail(check, name, exc) from None
        except BotoCoreError as exc:
            raise self.fail(check, name, exc) from None

    def paginate(self, check: str, service: str, op: str, key: str, **kwargs: Any) -> list[Any]:
        """Every item of a list call, across pages."""
        client = self.client(service)
        name = f"{service}:{client.meta.method_to_api_mapping.get(op, op)}"
        items: list[Any] = []
        try:
            for page in client.get_paginator(op).paginate(**kwargs):
                items.extend(page.get(key, []))
        except ClientError as exc:
            raise self.fail(check, name, exc) from None
        except BotoCoreError as exc:
            raise self.fail(check, name, exc) from None
        return items

    def each(self, items: Iterable[T], fn: Callable[[T], None], label: Callable[[T], str]) -> None:
        """fn on every item, `workers` at a time; a failed read is already recorded, anything else unexpected
        is recorded as incomplete under the item's label (never a pass, never a traceback)."""

        def guarded(item: T) -> None:
            try:
                fn(item)
            except CheckFailed:
                pass
            except Exception as exc:  # a malformed answer must not pass silently or crash the audit
                self.result.add_incomplete(Incomplete(label(item), f"unexpected answer: {error_text(exc)}"))

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(guarded, items))
