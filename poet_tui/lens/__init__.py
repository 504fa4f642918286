"""A lens into a trained model: how surprised it is by each token (scoring), what else it considered there
(alternatives, branching), and which hidden units track simple features of the text (features, activations,
cells). Engine code: torch, never textual; the CLI (`poet lens`) and the app's lens modes read it."""
