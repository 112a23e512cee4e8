"""Reading and writing trace files."""

from agentdbg.store.reader import TraceBuilder, read_trace
from agentdbg.store.writer import TraceWriter, encode_record, write_trace

__all__ = ["TraceBuilder", "TraceWriter", "encode_record", "read_trace", "write_trace"]
