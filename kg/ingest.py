"""Read input files: find them, detect their encoding, extract an HTML page's article text.

Nothing here raises for a bad file: :func:`read_file` returns a
:class:`~kg.types.Skip` with a one-line reason, so one broken file never
ends a build. Only a path that does not exist is an error. Only regular
files are read: a FIFO, device or socket with a report's name is skipped,
never opened in a way that could wait. :func:`screen` decides what can be
told from the file system alone (type, size), so a build skips those files
before handing any work to a process that loads the model.

Example:
    >>> for rec in read(["reports/"]):
    ...     print(rec.source, rec.encoding if isinstance(rec, RawDocument) else rec.reason)
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from charset_normalizer import from_bytes
from selectolax.lexbor import LexborHTMLParser, LexborNode

from kg.errors import InputError
from kg.normalise import plausibility
from kg.types import RawDocument, Skip

__all__ = ["SUFFIXES", "iter_files", "screen", "read_bytes", "read_file", "read", "decode", "html_text"]

#: File suffixes read, and their format.
SUFFIXES = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html"}

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "utf-8-sig"), (b"\xff\xfe", "utf-16-le", "utf-16"),
         (b"\xfe\xff", "utf-16-be", "utf-16"))
_CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
           "big5": "big5", "cp950": "big5", "big5hkscs": "big5hkscs", "utf_16": "utf-16"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_CONTROL_BYTES = bytes(b for b in range(256) if not _CONTROL.match(chr(b)))

_DROP_TAGS = frozenset("script style noscript nav header footer aside form iframe select template svg head".split())
_FURNITURE = re.compile(r"nav|menu|footer|header|breadcrumb|crumb|sidebar|share|copyright|banner|toolbar"
                        r"|pagination|print", re.I)
_CONTENT = re.compile(r"content|article|trs_editor|zoom|detail|main-?text", re.I)
_BLOCKS = frozenset("p div br li ul ol dl dt dd h1 h2 h3 h4 h5 h6 table thead tbody tfoot tr section "
                    "article main blockquote pre center address hr figure figcaption caption".split())
_HEADER_ROW = re.compile(r"索\s*引\s*[号號]|[发發]布机构|[发發]布機構|成文日期|主[题題]分[类類]|[体體]裁分[类類]|"
                         r"文\s*[号號]|公[开開]方式|[发發]布日期|生成日期|来源|來源")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the files to read: files as given, folders walked in sorted order.

    In folders only files with a suffix in :data:`SUFFIXES` (any case) are
    taken; hidden folders are skipped and symlink loops are walked once.
    A file named explicitly is always yielded (:func:`read_file` skips it
    with a reason if its type is not supported). Each file is yielded once.

    Raises:
        InputError: a path does not exist (checked before anything is yielded).

    Example:
        >>> [p.name for p in iter_files(["seeds"])][:1]
        ['000_56af94ac1350a89a.txt']
    """
    paths = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    for path in paths:
        if not path.exists():
            raise InputError(f"input path not found: {path} — pass an existing file, "
                             "or a folder of .txt/.md/.html reports")
    seen_files: set[Path] = set()
    for path in paths:
        for file in _walk(path) if path.is_dir() else [path]:
            real = Path(os.path.realpath(file))  # never raises, even on a symlink loop
            if real not in seen_files:
                seen_files.add(real)
                yield file


def _walk(root: Path) -> Iterator[Path]:
    seen_dirs: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen_dirs:
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in SUFFIXES:
                yield Path(folder) / name


def _decode_as(data: bytes, codec: str, *, lenient: bool = True) -> str:
    """Decode strictly, then without a broken tail of up to 3 bytes, then (if lenient) replacing errors."""
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode(codec)
        except UnicodeDecodeError as err:
            if cut == 3 and not lenient:
                raise err
    return data.decode(codec, errors="replace")


def decode(data: bytes) -> tuple[str, str]:
    """Decode a file's bytes: BOM, then strict UTF-8, then the most plausible Chinese encoding.

    Returns:
        The text (without BOM) and the encoding's name (``utf-8``,
        ``utf-8-sig``, ``utf-16``, ``gb18030``, ``big5`` or ``big5hkscs``).

    Raises:
        ValueError: the bytes are binary or no encoding gives plausible text;
            the message is the reason to report.

    Example:
        >>> decode("法治政府".encode("gb18030"))
        ('法治政府', 'gb18030')
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            text = _decode_as(data[len(bom) :], codec).removeprefix("\ufeff")
            _refuse_binary(len(_CONTROL.findall(text)), len(text))
            return text, name
    if b"\x00" in data:
        raise ValueError("binary file (NUL bytes and no UTF-16 byte-order mark)")
    _refuse_binary(len(data.translate(None, _CONTROL_BYTES)), len(data))
    try:
        return _decode_as(data, "utf-8", lenient=False).removeprefix("\ufeff"), "utf-8"
    except UnicodeDecodeError:
        pass
    guesses = [_CODECS.get(m.encoding) for m in from_bytes(data, cp_isolation=list(_CODECS))]
    best, best_score, best_name = "", -1.0, ""
    for name in dict.fromkeys(["gb18030", *filter(None, guesses), "big5"]):  # ties go to gb18030
        text = _decode_as(data, name)
        score = plausibility(text) - text.count("\ufffd") / max(len(text), 1)
        if score > best_score:
            best, best_score, best_name = text, score, name
    if best_score < 0.5:
        raise ValueError(f"cannot decode: not UTF-8, UTF-16, GB18030 or Big5 text ({best_name} gives "
                         f"{max(best_score, 0):.0%} plausible characters); re-save it as UTF-8")
    return best.removeprefix("\ufeff"), best_name


def _refuse_binary(controls: int, total: int) -> None:
    if controls > 0.05 * total:
        raise ValueError(f"binary file ({controls} control characters)")


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
_TOO_LONG = "split the file, or raise the limit with --max-chars"


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"not a regular file ({kind}); only regular files are read"


def screen(path: Path, max_chars: int | None = None) -> Skip | None:
    """Why ``path`` is skipped, as far as its name and the file system tell; ``None`` if it must be read.

    Looks at the suffix and at ``stat`` only, never opens the file: an
    unsupported type, a path that cannot be reached, anything but a regular
    file (FIFO, device, socket), an empty file, and, given ``max_chars``, a
    file of more than 4 bytes per allowed character.

    Example:
        >>> screen(Path("seeds/004_94ac708e86507105.txt")) is None
        True
    """
    source = str(path)
    if path.suffix.lower() not in SUFFIXES:
        return Skip(source, f"unsupported file type {path.suffix or '(none)'!r}; use .txt, .md or .html")
    try:
        info = os.stat(path)
    except OSError as err:
        return Skip(source, f"cannot read: {err.strerror or err}")
    if not stat.S_ISREG(info.st_mode):
        return Skip(source, _not_regular(info.st_mode))
    if info.st_size == 0:
        return Skip(source, "empty file")
    if max_chars is not None and info.st_size > 4 * max_chars:
        return Skip(source, f"too long: {info.st_size:,} bytes, over the {max_chars:,}-character limit; {_TOO_LONG}")
    return None


def read_bytes(path: Path) -> bytes:
    """The bytes of the regular file ``path``; opened without waiting, so a FIFO put in its place cannot hang.

    Raises:
        OSError: it cannot be read, or is not a regular file (``errno.EINVAL``).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(22, _not_regular(mode), str(path))
        return fh.read()


def read_file(path: Path) -> RawDocument | Skip:
    """Read one file into a :class:`~kg.types.RawDocument`, or a :class:`~kg.types.Skip` saying why not.

    Never raises: unreadable, unsupported, not regular, empty, binary and
    undecodable files are skipped with a one-line reason.

    Example:
        >>> read_file(Path("seeds/004_94ac708e86507105.txt")).encoding
        'utf-8'
    """
    source = str(path)
    if (skip := screen(path)) is not None:
        return skip
    fmt = SUFFIXES[path.suffix.lower()]
    try:
        data = read_bytes(path)
    except OSError as err:
        return Skip(source, f"cannot read: {err.strerror or err}")
    if not data.strip():
        return Skip(source, "empty file")
    try:
        text, encoding = decode(data)
    except ValueError as err:
        return Skip(source, str(err))
    if fmt == "html":
        text = html_text(text)
    if not text.strip():
        return Skip(source, "no text" if fmt != "html" else "no article text found in the HTML")
    return RawDocument(source, text, encoding, fmt, hashlib.sha256(data).hexdigest())


def read(paths: Iterable[str | Path]) -> Iterator[RawDocument | Skip]:
    """Read every file :func:`iter_files` finds under ``paths``."""
    for path in iter_files(paths):
        yield read_file(path)


def _marks(node: LexborNode) -> str:
    return f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}"


def _is_furniture(node: LexborNode) -> bool:
    if node.tag in _DROP_TAGS:  # a form that wraps the whole page (ASP.NET) is no furniture
        return node.tag != "form" or len(node.text(strip=True)) < 200
    return bool(_FURNITURE.search(_marks(node)))


def _lines(root: LexborNode) -> list[str]:
    """The text below ``root``, one line per block; a table row's cells joined by `` | ``."""
    lines: list[str] = []
    buf: list[str] = []
    row: list[str] | None = None
    depth = 0  # of table cells we are inside

    def take() -> str:
        text = _SPACE.sub(" ", "".join(buf)).strip()
        buf.clear()
        return text

    def emit(line: str) -> None:
        if line:
            lines.append(line)

    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:  # iterative: deeply nested pages must not hit the recursion limit
        node, leaving = stack.pop()
        if node.is_text_node:
            buf.append(node.text_content or "")
            continue
        if not node.is_element_node or (node is not root and _is_furniture(node)):
            continue
        if not leaving:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
        tag = node.tag
        if tag == "tr" and depth == 0:
            if row is None:
                emit(take())
            else:
                row.append(take())
            if leaving and row:
                emit(" | ".join(c for c in row if c))
            row = None if leaving else []
        elif tag in ("td", "th") and row is not None:
            if depth == 0 or (depth == 1 and leaving):
                row.append(take())
            else:
                buf.append(" ")
            depth += -1 if leaving else 1
        elif tag in _BLOCKS or tag in ("td", "th"):
            if depth:
                buf.append(" ")
            else:
                emit(take())
    emit(take())
    return lines


def html_text(html: str) -> str:
    """The article text of an HTML page, one line per block element.

    Script, style, navigation, header, footer, forms and elements whose id
    or class names page furniture are dropped. A container named like
    article content (``content``, ``TRS_Editor``, ``zoom`` …) holding at least
    30% of the page's text is preferred to the whole body; header-table rows
    (索引号, 发布机构 …) outside it are kept, and the title comes first.

    Example:
        >>> html_text("<title>报告_某区</title><nav>首页</nav><div class=content><p>正文。</p></div>")
        '报告\\n正文。'
    """
    tree = LexborHTMLParser(html)
    body = tree.body or tree.root
    if body is None:
        return ""
    page = _lines(body)
    page_len = sum(map(len, page))
    candidates = []
    for node in body.css("[id], [class]")[:200]:
        if _CONTENT.search(marks := _marks(node)) and not _FURNITURE.search(marks):
            size = len(node.text(strip=True))
            if size >= 100 and size >= 0.3 * page_len:
                candidates.append((size, node))
    lines = page
    if candidates:
        lines = _lines(min(candidates, key=lambda c: c[0])[1])
        inside = set(lines)
        lines = [ln for ln in page if _HEADER_ROW.search(ln) and ln not in inside and len(ln) <= 200] + lines
    title = _title(tree)
    if title and not any(title in ln for ln in lines[:10]):
        lines.insert(0, title)
    return "\n".join(lines)


def _title(tree: LexborHTMLParser) -> str:
    h1 = tree.css_first("h1")
    text = _SPACE.sub(" ", h1.text()).strip() if h1 is not None else ""
    if not text and (node := tree.css_first("title")) is not None:
        text = re.split(r"\s*[_|]\s*|\s+[-—]+\s+", _SPACE.sub(" ", node.text()).strip())[0]
    return text
