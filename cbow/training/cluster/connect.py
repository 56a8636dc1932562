"""Reaching a Dask cluster (`--cluster local:N`, `tcp://HOST:PORT`, `tls://HOST:PORT`, or a
`distributed.Client`) and the checks made before any work is sent to it.

- `local:N` starts a LocalCluster on this machine: N worker processes (each a node),
  cores // N threads each, no dashboard, `distributed.worker.daemon: false` so a node
  may start cbow's shared-memory worker processes. It is closed when training ends.
  A Dask scheduler runs whatever code a client submits, so this one is closed to every
  other process: TLS with credentials made for the run and kept in memory (distributed's
  `Security.temporary()`; a client without them is refused at the handshake), every
  listener (scheduler, nannies, workers, their HTTP servers) on 127.0.0.1, and the HTTP
  servers serve only /health (no pages listing workers, tasks or logs).
- an address joins a running scheduler (`dask scheduler`, then `dask worker ADDRESS` on
  every machine); a Client passed in is used as it is. Neither is closed by cbow. A
  `tls://` address takes its credentials from Dask's configuration
  (`distributed.comm.tls.*`, docs/cluster.md); a `tcp://` one runs code for anyone who
  reaches it, and cbow logs a warning saying so.

Checks, each failing with one line that names the node (`ClusterError`, `CorpusError`):
every worker imports the same cbow version as this client; a node that is to start
several training processes is not a daemonic process; the corpus path is readable on
every node. `distributed` itself is imported only here and only when a cluster is asked
for: the core install does not need it (`pip install '.[cluster]'` in cbow's folder brings it).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cbow.errors import ConfigError, CorpusError
from cbow.training.cluster.node import ClusterError, daemon_message
from cbow.wording import setting_value

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 30  # reaching a scheduler, and waiting for its first worker
LOOPBACK = "127.0.0.1"  # every listener of a cluster started here
HEALTH_ONLY = ["distributed.http.health"]  # the HTTP routes a cluster started here serves
SAME_CBOW = "pip install '.[cluster]' in a copy of this client's cbow folder"  # cbow is not on a package index
CLUSTER_FORMS = "local:N (N worker processes on this machine), tcp://HOST:PORT or tls://HOST:PORT (a running scheduler)"


def import_distributed():
    """The `distributed` module, or one line saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise ConfigError("training on a cluster needs Dask's distributed; install the extra in cbow's folder: "
                          "pip install '.[cluster]'") from None
    return distributed


def parse_cluster(spec: str) -> tuple[str, int | str]:
    """'local:4' -> ('local', 4); 'tcp://host:8786' -> ('address', 'tcp://host:8786').

    Raises
    ------
    ConfigError : any other form
    """
    text = spec.strip()
    if text.startswith("local:"):
        count = text[len("local:"):]
        if count.isdigit() and int(count) >= 1:
            return "local", int(count)
        raise ConfigError(f"{setting_value('cluster', spec)}: local:N needs a number of workers N >= 1, e.g. local:4")
    if text.startswith(("tcp://", "tls://")) and len(text) > len("tcp://"):
        return "address", text
    raise ConfigError(f"{setting_value('cluster', spec)}: expected {CLUSTER_FORMS}")


@dataclass(frozen=True)
class NodeInfo:
    """What a worker told about itself at the start (`_probe`)."""

    address: str
    host: str
    cbow_version: str
    daemon: bool
    nthreads: int
    cores: int


class ClusterSession:
    """A connected cluster: the Client, its workers (the nodes) and how to let go of it.

    Attributes
    ----------
    client : the distributed.Client
    spec : what the run was given ('local:2', an address), kept in checkpoints; '' for a Client
    nodes : NodeInfo of every worker at the start, by address
    """

    def __init__(self, client, spec: str, local_cluster=None, config_override=None) -> None:
        self.client, self.spec, self._local_cluster = client, spec, local_cluster
        self._config_override = config_override  # a dask.config.set in force while the cluster lives
        self.nodes: list[NodeInfo] = []

    @property
    def owned(self) -> bool:
        """Whether cbow started this cluster (and closes it)."""
        return self._local_cluster is not None

    def close(self) -> None:
        """Close the client and the cluster if cbow started them; a Client given is left open."""
        if self._local_cluster is None:
            return
        try:
            self.client.close()
        finally:
            try:
                self._local_cluster.close()
            finally:
                if self._config_override is not None:
                    self._config_override.__exit__(None, None, None)

    def __enter__(self) -> ClusterSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_cluster(cluster) -> ClusterSession:
    """Start or join the cluster `cluster` names (module docstring) and read its workers.

    Raises
    ------
    ConfigError : `distributed` is missing, or `cluster` has no known form
    ClusterError : the scheduler cannot be reached or has no worker; a worker runs
        another cbow (or none)
    """
    distributed = import_distributed()
    if isinstance(cluster, distributed.Client):
        session = ClusterSession(cluster, "")
    elif isinstance(cluster, str):
        kind, value = parse_cluster(cluster)
        session = _start_local(distributed, value) if kind == "local" else _join(distributed, value)
        session.spec = cluster.strip()
    else:
        raise ConfigError(f"cluster={cluster!r}: pass a string ({CLUSTER_FORMS}) or a distributed.Client")
    try:
        session.nodes = _read_nodes(session)
    except BaseException:
        session.close()
        raise
    return session


def _start_local(distributed, n_workers: int) -> ClusterSession:
    import dask

    from cbow.training.parallel.pool import available_cores

    threads = max(1, available_cores() // n_workers)
    security = _temporary_security(distributed)
    # the scheduler and nannies run in this process and log every step at INFO: keep warnings
    distributed_logger = logging.getLogger("distributed")
    distributed_logger.setLevel(max(distributed_logger.getEffectiveLevel(), logging.WARNING))
    # Nodes start cbow's worker processes (one per core) when they have several cores:
    # a daemonic Dask worker may not have children. The nannies hand the settings to every
    # worker they (re)start, so they hold until the cluster is closed.
    settings = dask.config.set({"distributed.worker.daemon": False,
                                "distributed.scheduler.http.routes": HEALTH_ONLY,
                                "distributed.worker.http.routes": HEALTH_ONLY})
    try:
        # no dashboard; the scheduler's small HTTP server (health checks) on a free port,
        # not 8787, which another cluster may hold; ":0" alone would listen on 0.0.0.0
        local = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=threads, processes=True,
                                         host=LOOPBACK, security=security, dashboard_address=None,
                                         scheduler_kwargs={"dashboard_address": f"{LOOPBACK}:0"})
        client = distributed.Client(local, security=local.security)
    except BaseException:
        settings.__exit__(None, None, None)
        raise
    session = ClusterSession(client, f"local:{n_workers}", local, settings)
    try:
        client.wait_for_workers(n_workers, timeout=CONNECT_TIMEOUT_SECONDS * n_workers)
        from cbow.training.cluster.plugin import LeaveSignalsToTheClient

        client.register_plugin(LeaveSignalsToTheClient(), name="cbow-leave-signals-to-the-client")
    except BaseException:
        session.close()
        raise
    logger.info("started a local Dask cluster: %d workers x %d threads (%s)", n_workers, threads,
                local.scheduler_address)
    return session


def _temporary_security(distributed):
    """TLS credentials for a cluster started here: a self-signed key and certificate made
    now, in memory only, that every member presents and accepts (and nobody else has)."""
    try:
        return distributed.Security.temporary()
    except ImportError:
        raise ConfigError(f"{setting_value('cluster', 'local:N')} encrypts and authenticates its scheduler with "
                          "TLS, which needs the cryptography package; install the extra in cbow's folder: "
                          "pip install '.[cluster]' (or pip install cryptography)") from None


TLS_SETTINGS = ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and "
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY (or distributed.comm.tls in Dask's config file)")


def _join(distributed, address: str) -> ClusterSession:
    place = setting_value("cluster", address)
    fix = f"start one with `dask scheduler` and workers with `dask worker {address}`"
    if address.startswith("tls://"):
        _check_client_credentials(distributed, address)
        fix = "is it running, started with the certificate of Dask's configuration here? (docs/cluster.md)"
    else:
        logger.warning("%s: a tcp:// scheduler is not encrypted and runs the code of anyone who can reach its port; "
                       "start it with TLS and use a tls:// address (docs/cluster.md)", place)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"{place}: cannot reach the scheduler ({error}); {fix}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        client.close()
        raise ClusterError(f"{place}: the scheduler has no workers after {CONNECT_TIMEOUT_SECONDS} s; "
                           f"start them with `dask worker {address}` on every machine") from None
    return ClusterSession(client, address)


def _check_client_credentials(distributed, address: str) -> None:
    """One line unless Dask's configuration names a client certificate, key and CA that load."""
    import ssl

    place = setting_value("cluster", address)
    try:
        context = distributed.Security().get_connection_args("client").get("ssl_context")
    except (OSError, ssl.SSLError, ValueError) as error:
        raise ClusterError(f"{place}: the TLS credentials in Dask's configuration do not load "
                           f"({error}); check {TLS_SETTINGS}") from None
    if context is None:
        raise ClusterError(f"{place}: Dask's configuration holds no TLS credentials for a client; "
                           f"set {TLS_SETTINGS}, see docs/cluster.md")


def _read_nodes(session: ClusterSession) -> list[NodeInfo]:
    """Every worker's NodeInfo; one line for a worker without this client's cbow."""
    import cbow

    answers = session.client.run(_probe, on_error="return")
    if not answers:
        raise ClusterError("the cluster has no workers; start some with `dask worker SCHEDULER_ADDRESS`")
    nodes = []
    for address, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            raise ClusterError(f"node {address}: cannot run cbow ({type(answer).__name__}: {answer}); install "
                               f"cbow {cbow.__version__} on every node: {SAME_CBOW}")
        node = NodeInfo(address=address, **answer)
        if node.cbow_version != cbow.__version__:
            raise ClusterError(f"node {address} ({node.host}): runs cbow {node.cbow_version}, this client "
                               f"cbow {cbow.__version__}; install the same version on every node: {SAME_CBOW}")
        nodes.append(node)
    return nodes


def _probe(dask_worker) -> dict:
    """Runs on each worker at the start (client.run hands it the worker): what the client
    checks (NodeInfo's fields)."""
    import multiprocessing
    import socket

    import cbow
    from cbow.training.parallel.pool import available_cores

    return {"host": socket.gethostname(), "cbow_version": cbow.__version__,
            "daemon": multiprocessing.current_process().daemon, "nthreads": dask_worker.state.nthreads,
            "cores": available_cores()}


def check_daemons(session: ClusterSession, node_workers: int) -> None:
    """One line if nodes are to start `node_workers` > 1 processes from a daemonic worker."""
    if node_workers <= 1:
        return
    for node in session.nodes:
        if node.daemon:
            raise ClusterError(daemon_message(f"{node.address} ({node.host})", node_workers))


def check_corpus_readable(session: ClusterSession, path: str) -> None:
    """Every node can list and open the corpus at `path` (a shared path), else one line
    naming the first node that cannot.

    Raises
    ------
    CorpusError
    """
    answers = session.client.run(_unreadable, path, on_error="return")
    for address, problem in sorted(answers.items()):
        if isinstance(problem, BaseException):
            problem = f"{type(problem).__name__}: {problem}"
        if problem:
            host = next((node.host for node in session.nodes if node.address == address), "?")
            raise CorpusError(f"node {address} ({host}): cannot read {path} ({problem}); the corpus must be "
                              "readable at the same path on every node (a shared file system)")


def _unreadable(path: str) -> str | None:
    """Runs on each worker: None when every file of the corpus opens, else the reason."""
    from cbow.data.corpus import list_corpus_files
    from cbow.errors import CorpusError

    try:
        files = list_corpus_files(path)
    except CorpusError as error:
        return str(error).split(": ", 1)[-1].split(";")[0]
    for file_path in files:
        try:
            with open(file_path, "rb") as handle:
                handle.read(1)
        except OSError as error:
            return f"{file_path}: {error.strerror or error}"
    return None


def absolute_corpus_path(source) -> str | None:
    """The absolute path of a file or directory source (nodes have other working
    directories), None for stdin or lines in memory."""
    if not isinstance(source, (str, os.PathLike)) or os.fspath(source) == "-":
        return None
    return str(Path(source).absolute())
