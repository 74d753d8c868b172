"""The measured process's memory, from ``/proc/self``: its RSS and peak, resident MB by
mapping and by the package shipping each library, the software renderer's share (bench.kiosk's
one-core runs print them)."""

from __future__ import annotations

from pathlib import Path

RENDERER_LIBS = ("libLLVM", "_dri.so", "libgallium", "libglapi", "libGLX_mesa", "libEGL_mesa")


def resident_by_path() -> dict[str, float]:
    """Resident MB of each mapped path (``/proc/self/smaps``; anonymous mappings under ""),
    read once for the figures below."""
    sizes: dict[str, float] = {}
    path = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            path = parts[5] if len(parts) >= 6 else ""  # a mapping's header (anonymous: "")
        elif parts[:1] == ["Rss:"]:
            sizes[path] = sizes.get(path, 0.0) + int(parts[1]) / 1024
    return sizes


def renderer_file_mb(rss: dict[str, float]) -> float:
    """Resident MB of the software renderer's own libraries (Mesa's llvmpipe: libLLVM, the
    DRI driver, ...), file pages only: a Pi renders on its GPU with other libraries. What
    llvmpipe allocates on the heap (its compiled shaders, tiles) is not counted here."""
    return round(sum(mb for path, mb in rss.items()
                     if any(k in Path(path).name for k in RENDERER_LIBS)), 1)


def proc_status() -> dict[str, str]:
    """``/proc/self/status`` as name -> value text (``"VmRSS"`` -> ``"123456 kB"``)."""
    return dict(line.split(":", 1) for line in Path("/proc/self/status").read_text()
                .splitlines() if ":" in line)


def status_mb(keys: tuple[str, ...] = ("VmRSS", "VmHWM", "RssAnon", "RssFile"),
              fields: dict[str, str] | None = None) -> dict[str, float]:
    """The process's memory figures ``keys`` of ``/proc/self/status`` (or of ``fields``,
    :func:`proc_status` read already), MB."""
    fields = proc_status() if fields is None else fields
    return {k: int(fields[k].split()[0]) / 1024 for k in keys}


def reset_peak() -> None:
    """Reset the process's VmHWM to its current RSS (Linux ``clear_refs`` value 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def _largest(sizes: dict[str, float], n: int) -> list[tuple[str, float]]:
    return [(k, round(v, 1)) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:n]]


def resident_by_mapping(rss: dict[str, float], n: int = 12) -> list[tuple[str, float]]:
    """Resident MB by mapping: each file by name, anonymous memory as ``[anon]`` (thread
    stacks, mmapped blocks: numpy arrays, the model's buffers) and ``[heap]`` (glibc's main
    heap), largest first."""
    sizes: dict[str, float] = {}
    for path, mb in rss.items():
        name = Path(path).name if path.startswith("/") else path or "[anon]"
        sizes[name] = sizes.get(name, 0.0) + mb
    return _largest(sizes, n)


def biggest_packages(rss: dict[str, float], n: int = 6) -> list[tuple[str, float]]:
    """The shared libraries mapped, by resident MB and grouped by the package that ships
    them: where the file-backed RSS goes."""
    sizes: dict[str, float] = {}
    for path, mb in rss.items():
        if path.endswith(".so") or ".so." in path:
            key = (path.split("site-packages/")[1].split("/")[0] if "site-packages/" in path
                   else Path(path).name)
            sizes[key] = sizes.get(key, 0.0) + mb
    return _largest(sizes, n)
