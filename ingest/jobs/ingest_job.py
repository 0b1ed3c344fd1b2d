"""mrjob wiring of the ingest logic: one map step over raw files, one reduce step by event id.

`mapper_raw` hands each mapper a whole raw file, so line numbers, gzip damage and empty
files are seen per file; the reduce groups a batch's copies of an event id.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from mrjob.job import MRJob
from mrjob.protocol import RawProtocol, RawValueProtocol
from mrjob.step import MRStep

from ingest.contract import Limits
from ingest.jobs.logic import map_file, reduce_group


class IngestJob(MRJob):
    INTERNAL_PROTOCOL = RawProtocol
    OUTPUT_PROTOCOL = RawValueProtocol

    def configure_args(self) -> None:
        super().configure_args()
        self.add_passthru_arg("--format", default="auto", help="raw format of the input files")
        self.add_passthru_arg("--max-late-days", type=int, default=30,
                              help="reject events older than this many days before their "
                                   "batch; -1 lifts the limit (history imports)")
        self.add_passthru_arg("--max-future-days", type=int, default=1)
        self.add_passthru_arg("--input-list", action="store_true",
                              help="inputs are text files listing raw file URIs, one per line "
                                   "(for runners without mapper_raw, e.g. spark)")

    def steps(self):
        mapper = {"mapper": self.mapper_uri} if self.options.input_list else {
            "mapper_raw": self.mapper_raw}
        return [MRStep(reducer=self.reducer, **mapper)]

    def _limits(self) -> Limits:
        late = self.options.max_late_days
        return Limits(max_late_days=None if late < 0 else late,
                      max_future_days=self.options.max_future_days)

    def mapper_raw(self, input_path: str, input_uri: str):
        yield from map_file(input_path, input_uri, self.options.format, self._limits())

    def mapper_uri(self, _key, uri: str):
        """One raw file URI per input line: fetch it (S3 through boto3) and map it."""
        uri = uri.strip()
        if not uri:
            return
        with _local_copy(uri) as path:
            yield from map_file(path, uri, self.options.format, self._limits())

    def reducer(self, key: str, values):
        for line in reduce_group(key, values):
            yield None, line


@contextlib.contextmanager
def _local_copy(uri: str):
    if not uri.startswith("s3://"):
        yield uri.removeprefix("file://")
        return
    import boto3

    from ingest.lake.files import s3_endpoint_url

    bucket, _, key = uri[len("s3://"):].partition("/")
    client = boto3.client("s3", endpoint_url=s3_endpoint_url())
    with tempfile.NamedTemporaryFile(suffix=os.path.basename(key)) as tmp:
        client.download_fileobj(bucket, key, tmp)
        tmp.flush()
        yield tmp.name


if __name__ == "__main__":
    IngestJob.run()
