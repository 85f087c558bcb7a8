// The Python program that runs inside every scratchpad process, and the protocol it speaks.
//
// It is a string constant, passed with `python -c`, so it works unchanged from src/ (jest) and
// dist/ (the build copies no data files) and never has to be found on disk.
//
// ## Protocol
//
// The process is spawned with four pipes: fd 0 (requests in), fd 1 (the cell's stdout), fd 2 (the
// cell's stderr) and fd 3 (replies out). At start the driver moves the protocol off the standard
// streams: it keeps a private, non-inheritable duplicate of fd 0 for requests, points fd 0 at
// /dev/null (so user code that reads stdin sees end-of-file, and never a request), and marks fd 3
// non-inheritable (subprocesses cannot write to it). fd 1 and fd 2 are left to user code: print(),
// subprocesses and C libraries all write there, and the manager reads them as the cell's output,
// in order, while the cell runs (which is also what keeps the inactivity timer alive).
//
// Every message on fd 0 and fd 3 is a frame: the body's byte length in ASCII decimal, "\n", then
// the body, one UTF-8 JSON object. Nothing a cell prints can be mistaken for a frame.
//
//   driver → manager   {"type":"ready","pid":<int>,"version":"3.11.7"}          once, at start
//   manager → driver   {"type":"exec","cell":<n>,"code":"…","marker":"…","refresh":<bool>}
//   driver → manager   {"type":"progress","message":"…"}                      any number, from progress()
//   driver → manager   {"type":"result","cell":<n>,"error":"…"|null,"error_total":<int>,
//                       "logs":"…","logs_total":<int>,"markers":[<bool>,<bool>]}
//
// One exec at a time. At the end of a cell the driver flushes sys.stdout and sys.stderr, then writes
// the cell's `marker` (a random string chosen by the manager for this cell alone) to fd 1 and to fd 2,
// then sends the result. The manager finishes the cell when it has the result frame and has seen the
// marker on each stream the driver managed to write it to (`markers`), so output a cell wrote just
// before it ended is never attributed to the next cell. Output written between cells (a background
// thread) goes to the next cell.
//
// `error` is the traceback (frames of the driver itself left out), `null` when the cell succeeded;
// the driver keeps only its last `error_cap` characters and says how long it was. `logs` are the
// records emitted through the `logging` module during the cell (the driver owns a root handler,
// level INFO), the first `logs_cap` characters, and `logs_total` their full length.
//
// `refresh` asks the driver to re-read the scratchpad's packages folder (after a pip install) before
// running the code. `SystemExit` ends only the cell (reported as an error, state kept).
//
// If fd 0 reaches end-of-file (the manager closed it, or the service died), the driver kills its own
// process group (the manager starts it as a group leader, so this takes the cell's subprocesses too)
// and exits: a scratchpad never outlives the service.
//
// The config is argv[1], a JSON object: {"packages_dir": "<abs path>", "logs_cap": <int>,
// "error_cap": <int>}.
//
// Keep in the source below: no backquote characters and no dollar-brace pairs (this is a TS
// template literal).

export const DRIVER_SOURCE = String.raw`
import ast, builtins, faulthandler, importlib, json, linecache, logging, os, queue, signal, site, sys, threading, traceback, types

CO_COROUTINE = 0x80
ALLOW_TOP_LEVEL_AWAIT = getattr(ast, 'PyCF_ALLOW_TOP_LEVEL_AWAIT', 0x2000)


def anton_driver(config):
    packages_dir = config['packages_dir']
    logs_cap = int(config['logs_cap'])
    error_cap = int(config['error_cap'])

    # Protocol channels: a private copy of stdin for requests, fd 3 for replies.
    request_fd = os.dup(0)
    os.set_inheritable(request_fd, False)
    reply_fd = 3
    os.set_inheritable(reply_fd, False)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.close(null_fd)
    send_lock = threading.Lock()

    def send(message):
        data = json.dumps(message).encode('utf-8')
        frame = memoryview(str(len(data)).encode('ascii') + b'\n' + data)
        with send_lock:
            while frame:
                frame = frame[os.write(reply_fd, frame):]

    def die():
        try:
            if os.getpgrp() == os.getpid():
                os.killpg(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(0)

    requests = queue.Queue()

    def read_requests():
        try:
            stream = os.fdopen(request_fd, 'rb')
            while True:
                header = stream.readline()
                if not header:
                    break
                size = int(header)
                body = stream.read(size)
                if len(body) < size:
                    break
                requests.put(json.loads(body.decode('utf-8')))
        except BaseException:
            pass
        die()

    threading.Thread(target=read_requests, name='anton-requests', daemon=True).start()

    # The namespace cells run in: a fresh __main__ module, so pickle and friends find user classes.
    main = types.ModuleType('__main__')
    main.__dict__['__builtins__'] = builtins
    sys.modules['__main__'] = main
    namespace = main.__dict__
    sys.argv = ['']

    def progress(message=''):
        """Report progress from a long cell; it also keeps the inactivity timeout from firing."""
        send({'type': 'progress', 'message': str(message)[:1000]})

    namespace['progress'] = progress

    def refresh_packages():
        if os.path.isdir(packages_dir):
            site.addsitedir(packages_dir)
            # addsitedir appends; installed packages must win over the system ones, after the workspace ('').
            while packages_dir in sys.path:
                sys.path.remove(packages_dir)
            sys.path.insert(1 if sys.path[:1] == [''] else 0, packages_dir)
        importlib.invalidate_caches()

    # [logs]: records from the logging module, captured per cell by a handler the driver owns.
    class CellLog(logging.Handler):
        def __init__(self):
            logging.Handler.__init__(self)
            self.setFormatter(logging.Formatter('%(levelname)s %(name)s: %(message)s'))
            self.start()

        def start(self):
            self.parts, self.kept, self.total = [], 0, 0

        def emit(self, record):
            try:
                text = self.format(record) + '\n'
            except Exception:
                text = 'unformattable log record from %s\n' % record.name
            self.total += len(text)
            room = logs_cap - self.kept
            if room > 0:
                self.parts.append(text[:room])
                self.kept += min(room, len(text))

    cell_log = CellLog()
    root_logger = logging.getLogger()
    root_logger.addHandler(cell_log)
    root_logger.setLevel(logging.INFO)
    original_basic_config = logging.basicConfig

    def basic_config(**kwargs):
        # With the driver's handler on the root logger, basicConfig would silently do nothing.
        # Without a destination it sets the level and format of [logs]; with one it configures
        # that destination (force=True) and keeps [logs] as well.
        if any(key in kwargs for key in ('filename', 'stream', 'handlers')):
            kwargs['force'] = True
            original_basic_config(**kwargs)
            root_logger.addHandler(cell_log)
            return
        if kwargs.get('format') is not None:
            cell_log.setFormatter(logging.Formatter(kwargs['format'], kwargs.get('datefmt'), kwargs.get('style', '%')))
        if kwargs.get('level') is not None:
            root_logger.setLevel(kwargs['level'])

    logging.basicConfig = basic_config

    streams = {1: sys.stdout, 2: sys.stderr}

    def standard_stream(fd):
        # A cell may replace or close sys.stdout / sys.stderr; the next cell gets working ones.
        stream = streams[fd]
        if stream is None or stream.closed:
            stream = open(fd, 'w', encoding='utf-8', errors='backslashreplace', buffering=1, closefd=False)
            streams[fd] = stream
        return stream

    def format_error(error):
        tb = error.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith('<cell '):
            tb = tb.tb_next
        lines = traceback.format_exception(type(error), error, tb if tb is not None else error.__traceback__)
        return ''.join(lines)

    def run_cell(request):
        cell = request['cell']
        code = request['code']
        if request.get('refresh'):
            refresh_packages()
        filename = '<cell %d>' % cell
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        cell_log.start()
        error = None
        try:
            compiled = compile(code, filename, 'exec', flags=ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        except Exception as exc:
            error = ''.join(traceback.format_exception_only(type(exc), exc))
        else:
            try:
                if compiled.co_flags & CO_COROUTINE:
                    import asyncio
                    asyncio.run(eval(compiled, namespace))
                else:
                    exec(compiled, namespace)
            except BaseException as exc:
                error = format_error(exc)
                if isinstance(exc, SystemExit):
                    error += 'sys.exit() ends only this cell: the scratchpad process and its variables are kept.\n'
        sys.stdout = standard_stream(1)
        sys.stderr = standard_stream(2)
        markers = []
        for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
            try:
                stream.flush()
            except Exception:
                pass
            try:
                os.write(fd, request['marker'].encode('ascii'))
                markers.append(True)
            except OSError:
                markers.append(False)
        error_total = len(error) if error is not None else 0
        if error is not None and error_total > error_cap:
            error = error[-error_cap:]
        return {
            'type': 'result', 'cell': cell, 'error': error, 'error_total': error_total,
            'logs': ''.join(cell_log.parts), 'logs_total': cell_log.total, 'markers': markers,
        }

    refresh_packages()
    faulthandler.enable()
    send({'type': 'ready', 'pid': os.getpid(), 'version': sys.version.split()[0]})
    while True:
        request = requests.get()
        if request.get('type') == 'exec':
            send(run_cell(request))


anton_driver(json.loads(sys.argv[1]))
`;
