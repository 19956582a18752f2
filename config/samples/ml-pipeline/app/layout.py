"""Where the tasks of one run read and write in its workspace ($K8SFLOW_WORKSPACE): one place for every path.

The lakehouse layers (bronze, silver, gold) are tables named after the data set; the ML artifacts
(features, model, evaluation, registry) belong to the run, whose workspace holds one data set.
"""

# The toy data sets scikit-learn ships (sklearn.datasets.load_<name>): no download needed.
DATASETS = ("iris", "wine", "breast_cancer")
MODEL_TYPES = ("random_forest", "logistic_regression", "gradient_boosting")
TARGET_COLUMN = "target"


def bronze_table(dataset: str) -> str:
    return f"bronze/{dataset}.csv"


def bronze_schema(dataset: str) -> str:
    return f"bronze/{dataset}.schema.json"


def silver_table(dataset: str) -> str:
    return f"silver/{dataset}.csv"


def silver_schema(dataset: str) -> str:
    return f"silver/{dataset}.schema.json"


def gold_table(dataset: str) -> str:
    return f"gold/{dataset}.csv"


def gold_class_summary(dataset: str) -> str:
    return f"gold/{dataset}_class_summary.csv"


TRAIN_SPLIT = "features/train.npz"
TEST_SPLIT = "features/test.npz"
FEATURE_SPEC = "features/features.json"
MODEL = "models/model.pkl"
MODEL_CARD = "models/model.json"
EVALUATION = "metrics/evaluation.json"
REGISTRY = "registry"


def registered_model_name(dataset: str) -> str:
    """The registry name, as in the Dag's outlet mlflow://models/<dataset>_classifier."""
    return f"{dataset}_classifier"
