"""Lay ``../shared/datasets`` out as a data mirror (``<mirror>/<dataset>/<file name>``, the layout
``DL_PIPELINES_DATA_MIRROR`` expects) in a folder outside the project, for the benchmarks.

    .venv/bin/python benchmarks/shared_mirror.py /tmp/mirror
    DL_PIPELINES_TRUST_MIRROR_CHECKSUMS=1 .venv/bin/python benchmarks/figures.py --mirror /tmp/mirror

Files kept there in the publisher's form are linked, never copied; the two kept in another form
are rebuilt: ``boston_housing.npz`` (the Keras file: ``x`` and ``y`` of ``housing.csv`` in file
order) and ``ml-100k.zip`` (its ``u.data`` and ``u.item``). Each folder gets a ``SHA256SUMS``; the
rebuilt files and the re-gzipped MNIST files are not the publisher's bytes, so the mirror's
checksums must be trusted explicitly, as the second line above does.
"""

from __future__ import annotations

import argparse
import hashlib
import zipfile
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
LINKED = {  # mirror folder: (shared folder, file names)
    "mnist": ("mnist", ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]),
    "fuel_consumption": ("fuel_consumption_co2", ["FuelConsumptionCo2.csv"]),
    "usd_eur": ("usd_eur_exchange_rate", ["DEXUSEU.csv"]),
    "ptb": ("ptb", ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"]),
    "tiny_shakespeare": ("tiny_shakespeare", ["input.txt"]),
}


def boston_npz(shared: Path, target: Path) -> None:
    table = np.loadtxt(shared / "boston_housing" / "housing.csv", delimiter=",")
    np.savez(target, x=table[:, :13], y=table[:, 13])


def ml_100k_zip(shared: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ["u.data", "u.item"]:
            archive.write(shared / "movielens_100k" / name, f"ml-100k/{name}")


def ionosphere_data(shared: Path, target: Path) -> None:
    """UCI names the file ionosphere.data; the shared copy is the same bytes as ionosphere.csv."""
    target.write_bytes((shared / "ionosphere" / "ionosphere.csv").read_bytes())


BUILT = {"boston_housing": ("boston_housing.npz", boston_npz), "ml-100k": ("ml-100k.zip", ml_100k_zip),
         "ionosphere": ("ionosphere.data", ionosphere_data)}


def write_sha256sums(folder: Path) -> None:
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}"
             for path in sorted(folder.iterdir()) if path.name != "SHA256SUMS"]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def build(mirror: Path, shared: Path) -> list[str]:
    """Fill ``mirror``; returns the datasets laid out (those whose shared files exist)."""
    done = []
    for dataset, (folder, names) in LINKED.items():
        if all((shared / folder / name).is_file() for name in names):
            (mirror / dataset).mkdir(parents=True, exist_ok=True)
            for name in names:
                link = mirror / dataset / name
                link.unlink(missing_ok=True)
                link.symlink_to(shared / folder / name)
            done.append(dataset)
    for dataset, (name, make) in BUILT.items():
        (mirror / dataset).mkdir(parents=True, exist_ok=True)
        make(shared, mirror / dataset / name)
        done.append(dataset)
    for dataset in done:
        write_sha256sums(mirror / dataset)
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirror", type=Path, help="the folder to fill (outside the project)")
    parser.add_argument("--shared", type=Path, default=SHARED,
                        help=f"the shared datasets (default: {SHARED})")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        parser.error(f"--shared {args.shared}: no such folder; give the path of the shared datasets")
    print(f"{args.mirror}: {', '.join(build(args.mirror, args.shared))}")


if __name__ == "__main__":
    main()
