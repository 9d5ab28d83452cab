"""Implementation of the rpctest.Echo test service; `mode` selects a behaviour."""

from __future__ import annotations

from typing import Any

import trio
from zquic.rpc import CallContext, RpcError, StatusCode


class EchoService:
    def __init__(self, pb2: Any) -> None:
        self.pb2 = pb2
        self.started = trio.Event()
        self.cancelled = trio.Event()
        self.contexts: list[CallContext] = []

    async def _behave(self, req: Any, ctx: CallContext) -> Any:
        self.contexts.append(ctx)
        mode = req.mode
        if mode == "error":
            raise RpcError(StatusCode.NOT_FOUND, "no such thing", [("why-bin", b"\x00\x01")])
        if mode == "crash":
            raise ValueError("secret-traceback-text")
        if mode == "abort":
            ctx.set_trailing_metadata({"k": "v"})
            ctx.abort(StatusCode.PERMISSION_DENIED, "go away")
        if mode == "wrongtype":
            return req
        if mode == "slow":
            self.started.set()
            try:
                await trio.sleep_forever()
            finally:
                if ctx.cancelled:
                    self.cancelled.set()
        if mode == "meta":
            await ctx.send_initial_metadata({"initial": "yes"})
            ctx.set_trailing_metadata([("trailer", "t1"), ("trailer-bin", b"\xff")])
            return self.pb2.EchoReply(text=repr(sorted(ctx.metadata)))
        if mode == "deadline":
            return self.pb2.EchoReply(text=f"{ctx.time_remaining()}")
        if mode == "trace":
            return self.pb2.EchoReply(text=ctx.traceparent)
        return self.pb2.EchoReply(text=req.text, payload=req.payload)

    async def Unary(self, req: Any, ctx: CallContext) -> Any:
        return await self._behave(req, ctx)

    async def ServerStream(self, req: Any, ctx: CallContext) -> Any:
        for i in range(req.count):
            yield self.pb2.EchoReply(text=req.text, index=i, payload=req.payload)
        if req.mode:
            yield await self._behave(req, ctx)

    async def ClientStream(self, requests: Any, ctx: CallContext) -> Any:
        texts = []
        total = 0
        async for req in requests:
            if req.mode:
                return await self._behave(req, ctx)
            texts.append(req.text)
            total += len(req.payload)
        return self.pb2.EchoReply(text=",".join(texts), index=total)

    async def Bidi(self, requests: Any, ctx: CallContext) -> Any:
        i = 0
        async for req in requests:
            if req.mode:
                yield await self._behave(req, ctx)
            else:
                yield self.pb2.EchoReply(text=req.text.upper(), index=i, payload=req.payload)
            i += 1
