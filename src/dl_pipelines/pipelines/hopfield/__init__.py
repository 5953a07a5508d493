"""The hopfield app ``hopfield``: Hopfield associative memory. Patterns (drawn letters, random
+-1 patterns, binarised digits) stored by the Hebbian or the Storkey rule or in a modern
continuous Hopfield network, recalled from corrupted copies; ``hopfield_capacity`` measures how
many random patterns each can hold, against the theory."""

from dl_pipelines.pipelines.hopfield.pipeline import create_pipelines
from dl_pipelines.pipelines.hopfield.settings import HopfieldSettings as Settings

# The network is a NumPy weight matrix, kept as the training run's artifact hopfield/network.npz,
# not an MLflow model: inference reads the last local training (no --params model_version).
REGISTERS_MODEL = False

__all__ = ["REGISTERS_MODEL", "Settings", "create_pipelines"]
