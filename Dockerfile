# The dl_pipelines Kedro project on an NVIDIA GPU node: `kedro run` in the official TensorFlow
# GPU image. See "Running on GPU nodes and clusters" in README.md.
#
#   docker build -t dl-pipelines:latest .
#   docker run --rm --init --gpus all \
#       -e MLFLOW_TRACKING_URI=http://mlflow.example.org:5000 \
#       -e DL_PIPELINES_DATA_MIRROR=https://mirror.example.org/datasets \
#       -v /mnt/shared/dl:/mnt/shared/dl \
#       dl-pipelines:latest kedro run --pipelines=cnn --params data_root=/mnt/shared/dl
#
# Without MLFLOW_TRACKING_URI the runs go to /app/mlflow.db inside the container (lost with it);
# without a data_root on a volume the datasets stay in /app/data (lost too).

# The base image: Ubuntu 22.04, Python 3.11, CUDA and cuDNN, TensorFlow preinstalled. TF_VERSION
# must lie within pyproject.toml's `tensorflow>=2.20,<2.22` (the build fails otherwise, see the
# constraint below); the tags tensorflow/tensorflow:2.20.0-gpu and 2.21.0-gpu both exist.
ARG TF_VERSION=2.21.0
FROM tensorflow/tensorflow:${TF_VERSION}-gpu

# Optional extras of the project, e.g. --build-arg PROJECT_EXTRAS=gpu adds NVIDIA's CUDA/cuDNN
# wheels (tensorflow[and-cuda]) should the image's own CUDA libraries not suit the GPU driver.
ARG PROJECT_EXTRAS=""
# Further pip packages, e.g. --build-arg EXTRA_PIP_PACKAGES=s3fs to keep the data on s3://
# (gcsfs for gs://, adlfs for abfs://): Kedro reaches those through fsspec.
ARG EXTRA_PIP_PACKAGES=""
# The non-root user the container runs as (group 0, so an arbitrary UID works too).
ARG APP_UID=1000

LABEL org.opencontainers.image.title="dl_pipelines" \
      org.opencontainers.image.description="Kedro deep-learning pipelines (TensorFlow GPU, MLflow)"

ENV KEDRO_DISABLE_TELEMETRY=true \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    MPLBACKEND=Agg

# A virtual environment that also sees the image's packages (--system-site-packages): TensorFlow
# and its CUDA set-up are used as they are, while a package the project needs newer is installed
# into the venv, shadowing the image's copy instead of replacing it. Replacing fails for Ubuntu's
# apt-installed Python packages (python3-blinker 1.4: "Cannot uninstall 'blinker'... distutils
# installed project" when pip installs mlflow -> Flask, mlflow/mlflow#14107).
RUN python3 -m venv --system-site-packages /opt/venv
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Keep the image's TensorFlow: `pip install .` asks for tensorflow>=2.20,<2.22 and, unconstrained,
# may download another release from PyPI and install a second multi-GB TensorFlow (built for other
# CUDA libraries) over the image's. The constraint pins tensorflow to the version the image ships,
# so pip finds it already satisfied, and stops with a conflict if TF_VERSION is outside the range.
RUN python -c "from importlib.metadata import version; print('tensorflow==' + version('tensorflow'))" \
        > /tmp/constraints.txt \
 && cat /tmp/constraints.txt

# The package first (this layer is rebuilt only when the code or its dependencies change);
# README.md is needed to build it (pyproject.toml: readme = "README.md").
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint /tmp/constraints.txt ".${PROJECT_EXTRAS:+[$PROJECT_EXTRAS]}" ${EXTRA_PIP_PACKAGES} \
 && rm -rf build src/*.egg-info \
 && python -c "import tensorflow as tf, kedro, dl_pipelines; \
assert not tf.__file__.startswith('/opt/venv'), 'a second TensorFlow was installed: ' + tf.__file__; \
print('tensorflow', tf.__version__, 'kedro', kedro.__version__, 'dl_pipelines', dl_pipelines.__version__)"

# The configuration (conf/local is empty: mount one, or pass settings as environment variables).
COPY conf ./conf

RUN useradd --create-home --uid "${APP_UID}" --gid 0 kedro \
 && mkdir -p conf/local data \
 && chown -R "${APP_UID}:0" /app /home/kedro \
 && chmod -R g=u /app /home/kedro
ENV HOME=/home/kedro
USER ${APP_UID}

# No ENTRYPOINT of our own (the base image's, if any, only execs its arguments), so
# `docker run IMAGE kedro run --pipelines=cnn` runs that command in /app. MLFLOW_TRACKING_URI,
# DL_PIPELINES_DATA_MIRROR and credentials (e.g. AWS_ACCESS_KEY_ID) come from the environment.
# Use `docker run --init`: Python as PID 1 ignores SIGTERM, so `docker stop` would wait for SIGKILL.
CMD ["kedro", "run"]
