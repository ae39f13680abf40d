"""The plain data that crosses between the grading process and a worker, and its framing.

A message is a dict of named fields, each a tree of plain values: None, bool, int, float,
complex, str; numpy arrays of numeric dtypes and numpy scalars; tuples, lists and dicts of
those. It travels as one frame: an 8-byte length, then an 8-byte header length, a JSON
header (the trees, arrays replaced by references) and the raw bytes of every array's
memory. Decoding builds arrays with np.ndarray over those bytes: no pickle, no code.

Arrays keep their layout: a transposed or sliced view arrives as the same view (strides
and offset) of a copy of its base's memory, and arrays that share memory in one message
share it again on arrival. So a learner sees the non-contiguous inputs a grader chose,
and a grader sees when a learner handed back (a view of) an argument.

Values that are not plain data are never serialised:
- a numpy Generator travels as its bit generator's state (and comes back advanced);
- a callable sent by a grader becomes a callback: calling it in the worker asks the
  grading process to run it (graders' f(x) in numerical_gradient, grad_fn, ...);
- anything else a learner returns (an object, a set, a generator, a string array) stays
  in the worker, and the grading process gets an Opaque placeholder naming its type,
  which can be passed back (a layer's cache) but never looked into.

This module imports numpy and the standard library only: both sides use it.
"""

from __future__ import annotations

import json
import select
import struct
import time

import numpy as np
import numpy.random  # noqa: F401 - loaded lazily otherwise: 15 ms in every fresh worker

MAX_FRAME_BYTES = 256 * 2**20  # a reply larger than this is refused, not read
MAX_HEADER_BYTES = 64 * 2**20
NUMERIC_KINDS = "biufc"  # bool, signed and unsigned ints, floats, complex
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class ProtocolError(Exception):
    """A frame that is not a well-formed message (never raised for a learner's values)."""


class Opaque:
    """Something a learner's code returned that is not plain data; it stays in the worker.

    type_name says what it is ("set", "generator", "Value", "ndarray of dtype <U3").
    """

    def __init__(self, handle: int, type_name: str):
        self.handle = handle
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object from your code>"


# ---------------------------------------------------------------- encoding


def _is_plain_array(value) -> bool:
    return (
        type(value) is np.ndarray
        and value.dtype.kind in NUMERIC_KINDS
        and value.dtype.fields is None
        and value.dtype.subdtype is None
    )


def _extent(array: np.ndarray) -> tuple[int, int]:
    """The lowest and one-past-highest byte address an array's elements occupy."""
    start = array.__array_interface__["data"][0]
    if array.size == 0:
        return start, start
    low = high = start
    for n, stride in zip(array.shape, array.strides):
        if stride < 0:
            low += (n - 1) * stride
        else:
            high += (n - 1) * stride
    return low, high + array.itemsize


def _memory_bytes(array: np.ndarray) -> bytes:
    """The bytes of a C- or F-contiguous array's memory, in memory order."""
    return array.ravel(order="K").view(np.uint8).tobytes()


def _root(array: np.ndarray) -> np.ndarray:
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root


class Encoder:
    """Turns one message's trees into JSON-able trees plus memory blocks.

    inside: memory blocks the receiver already holds (the worker's argument blocks, for
    its replies): an array inside one of them is sent as a view of that block.
    """

    def __init__(self, handles=None, inside=()):
        self.blocks: list[bytes] = []
        self.roots: list[np.ndarray] = []  # the array whose memory each block copies
        self._block_of: dict[int, int] = {}
        self.rngs: list[np.random.Generator] = []
        self.views = 0  # arrays sent that are not C-contiguous (a transposed, strided view)
        self.callbacks: list = []
        self._handles = handles  # worker side: a dict to keep non-plain values in
        self._inside = list(inside)  # (block index, uint8 array) the receiver holds

    def encode(self, value):
        if value is None or type(value) in (bool, str):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return value if value == value and abs(value) != float("inf") else {"$x": repr(value)}
        if type(value) is complex:
            return {"$c": [self.encode(value.real), self.encode(value.imag)]}
        if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
            return {"$s": [self._block(np.asarray(value).reshape(1)), value.dtype.str]}
        if _is_plain_array(value):
            return self._array(value)
        if type(value) is tuple:
            return {"$t": [self.encode(v) for v in value]}
        if type(value) is list:
            return [self.encode(v) for v in value]
        if type(value) is dict:
            return {"$d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, Opaque):
            return {"$h": value.handle}
        if self._handles is None:  # the grading side: its generators and callables
            if type(value) is np.random.Generator:
                index = self._index(self.rngs, value)
                return {"$r": [index, self.encode(value.bit_generator.state)]}
            if callable(value):
                return {"$f": self._index(self.callbacks, value)}
            raise TypeError(f"a grader sent a {type(value).__name__}, which is not plain data")
        handle = len(self._handles) + 1
        self._handles[handle] = value
        return {"$h": handle, "type": type_name(value)}

    @staticmethod
    def _index(table: list, value) -> int:
        for i, known in enumerate(table):
            if known is value:
                return i
        table.append(value)
        return len(table) - 1

    def _array(self, array: np.ndarray):
        self.views += not array.flags.c_contiguous
        low, high = _extent(array)
        for index, block in self._inside:
            start, end = _extent(block)
            if array.size and start <= low and high <= end:
                offset = array.__array_interface__["data"][0] - start
                return {"$v": [index, offset, list(array.shape), list(array.strides),
                               array.dtype.str]}  # fmt: skip
        root = _root(array)
        if (
            not (root.flags.c_contiguous or root.flags.f_contiguous)
            or root.nbytes > 4 * array.nbytes + 2**20  # a small view of a large buffer
        ):
            root = array = np.array(array, order="C")  # its own copy: the layout is lost
        start = _extent(root)[0]
        offset = array.__array_interface__["data"][0] - start
        return {"$a": [self._block(root), offset, list(array.shape), list(array.strides),
                       array.dtype.str, bool(array.flags.writeable)]}  # fmt: skip

    def _block(self, root: np.ndarray) -> int:
        key = id(root)
        if key not in self._block_of:
            self._block_of[key] = len(self.blocks)
            self.blocks.append(_memory_bytes(root))
            self.roots.append(root)
        return self._block_of[key]


def type_name(value) -> str:
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:
            return f"numpy {type(value).__name__}"
        return f"ndarray of dtype {value.dtype}"
    return type(value).__name__


def pack(fields: dict, encoder: Encoder | None = None) -> bytes:
    """One message (field name -> tree) as the bytes of a frame, length prefix included."""
    encoder = encoder or Encoder()
    trees = {name: encoder.encode(value) for name, value in fields.items()}
    header = json.dumps(
        {"fields": trees, "blocks": [len(b) for b in encoder.blocks]},
        separators=(",", ":"),
        allow_nan=False,
    ).encode()
    body = b"".join([struct.pack("!Q", len(header)), header, *encoder.blocks])
    return struct.pack("!Q", len(body)) + body


# ---------------------------------------------------------------- decoding


class Decoded:
    """A received message: its fields decoded, and what the receiver needs to answer it."""

    def __init__(self, fields, blocks, rngs, callbacks):
        self.fields = fields
        self.blocks = blocks  # (original bytes, writeable buffer) per block
        self.rngs = rngs  # the Generators the message's "$r" references became
        self.callbacks = callbacks


class Decoder:
    """Rebuilds trees from a frame.

    handles: worker side, the values kept for Opaque placeholders (looked up by "$h").
    own_roots: the arrays this side sent in the request being answered ("$v" views of
    them come back as views of these very arrays). make_callback(i): what a grader's
    function "$f" becomes in the worker.
    """

    def __init__(self, handles=None, own_roots=(), make_callback=None):
        self._handles = handles
        self._own_roots = list(own_roots)
        self._make_callback = make_callback
        self._rngs: dict[int, object] = {}
        self._callbacks: dict[int, object] = {}

    def unpack(self, body: bytes) -> Decoded:
        try:
            (header_length,) = struct.unpack_from("!Q", body, 0)
            if header_length > min(len(body) - 8, MAX_HEADER_BYTES):
                raise ProtocolError("header length out of range")
            header = json.loads(body[8 : 8 + header_length])
            sizes = header["blocks"]
            if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
                raise ProtocolError("bad block list")
            position, blocks = 8 + header_length, []
            for size in sizes:
                raw = body[position : position + size]
                if len(raw) != size:
                    raise ProtocolError("frame shorter than its blocks")
                blocks.append((raw, bytearray(raw)))
                position += size
            self._blocks = blocks
            if not isinstance(header["fields"], dict):
                raise ProtocolError("fields is not an object")
            fields = {str(k): self.decode(v) for k, v in header["fields"].items()}
        except ProtocolError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, RecursionError, struct.error) as e:
            raise ProtocolError(f"{type(e).__name__}: {e}") from None
        rngs = [self._rngs[i] for i in sorted(self._rngs)]
        return Decoded(fields, blocks, rngs, self._callbacks)

    def decode(self, tree):
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            return [self.decode(v) for v in tree]
        if type(tree) is not dict or len(tree) not in (1, 2):
            raise ProtocolError("unknown node")
        tag, payload = next(iter(tree.items()))
        if tag == "$t":
            return tuple(self.decode(v) for v in payload)
        if tag == "$d":
            return {self.decode(k): self.decode(v) for k, v in payload}
        if tag == "$x":
            if payload not in ("nan", "inf", "-inf"):
                raise ProtocolError("bad float")
            return float(payload)
        if tag == "$c":
            real, imag = (self.decode(v) for v in payload)
            return complex(real, imag)
        if tag == "$s":
            block, dtype = payload
            return self._array(self._blocks[block][1], 0, [], [], dtype)[()]
        if tag == "$a":
            block, offset, shape, strides, dtype, writeable = payload
            array = self._array(self._blocks[block][1], offset, shape, strides, dtype)
            array.flags.writeable = bool(writeable)
            return array
        if tag == "$v":
            index, offset, shape, strides, dtype = payload
            root = self._own_roots[index]
            memory = root.ravel(order="K").view(np.uint8)
            return self._array(memory, offset + 0, shape, strides, dtype)
        if tag == "$h":
            if self._handles is None:  # grading side: a placeholder
                return Opaque(int(payload), str(tree.get("type", "object"))[:80])
            return self._handles[payload]
        if tag == "$r" and self._handles is not None:  # worker side: a fresh Generator
            index, state = payload
            if index not in self._rngs:
                self._rngs[index] = make_generator(self.decode(state))
            return self._rngs[index]
        if tag == "$f" and self._make_callback:
            return self._callbacks.setdefault(payload, self._make_callback(payload))
        raise ProtocolError(f"unknown tag {tag!r}")

    @staticmethod
    def _array(buffer, offset, shape, strides, dtype):
        dtype = np.dtype(dtype)
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
            raise ProtocolError(f"dtype {dtype} is not numeric")
        shape, strides = tuple(map(int, shape)), tuple(map(int, strides)) or None
        return np.ndarray(shape, dtype, buffer=buffer, offset=int(offset), strides=strides)


def make_generator(state: dict) -> np.random.Generator:
    """A numpy Generator in the given bit-generator state (state as .bit_generator.state)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise ProtocolError(f"unknown bit generator {name!r}")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


# ---------------------------------------------------------------- framing


class ChannelClosed(Exception):
    """The other end closed the channel (or died) before a whole frame arrived."""


class ChannelTimeout(Exception):
    """No whole frame arrived before the deadline."""


def write_frame(channel, frame: bytes, deadline: float | None = None) -> None:
    """Send a frame on a socket; on a non-blocking one, give up at the deadline
    (time.monotonic())."""
    view = memoryview(frame)
    while view:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            _, writable, _ = select.select([], [channel], [], remaining)
            if not writable:
                continue
        try:
            sent = channel.send(view[: 1 << 20])
        except BlockingIOError:
            continue
        except OSError as error:  # broken pipe, reset, closed
            raise ChannelClosed() from error
        view = view[sent:]


def read_frame(channel, deadline: float | None = None, limit: int = MAX_FRAME_BYTES) -> bytes:
    """Read one frame's body; ChannelTimeout at the deadline, ProtocolError past the limit."""
    (length,) = struct.unpack("!Q", _read_exactly(channel, 8, deadline))
    if length > limit:
        raise ProtocolError(f"a message of {length / 2**20:.0f} MB (the limit is "
                            f"{limit / 2**20:.0f} MB)")  # fmt: skip
    return _read_exactly(channel, length, deadline)


def _read_exactly(channel, n: int, deadline: float | None) -> bytes:
    chunks, missing = [], n
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            readable, _, _ = select.select([channel], [], [], remaining)
            if not readable:
                continue
        try:
            chunk = channel.recv(min(missing, 1 << 20))
        except BlockingIOError:
            continue
        except OSError as error:
            raise ChannelClosed() from error
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
