"""The model and everything one step of it involves, together: the network and its full-sequence forward
(network.py), the explicit recurrent state (state.py), the fast single step (step.py), the token choice both
the eager and the graph stepper use (choose.py), and the CUDA-graph capture of step + choice (graph.py,
imported only on CUDA)."""

from poet_tui.config import ModelConfig
from poet_tui.model.choose import TokenChooser, restrict
from poet_tui.model.network import RNNLanguageModel
from poet_tui.model.state import RecurrentState

__all__ = ["ModelConfig", "RNNLanguageModel", "RecurrentState", "TokenChooser", "restrict"]
