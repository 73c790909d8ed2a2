from components.labels import kubefate_labels, selector_labels


def test_kubefate_labels_carry_upstream_and_recommended_keys():
    labels = kubefate_labels("fate-30000", 30000, "python", version="2.0.0")
    assert labels["name"] == "fate-30000"
    assert labels["partyId"] == "30000"
    assert labels["owner"] == "kubefate"
    assert labels["cluster"] == "fate"
    assert labels["fateMoudle"] == "python"
    assert labels["app.kubernetes.io/version"] == "2.0.0"
    assert set(selector_labels("fate-30000", 30000, "python").items()) <= set(labels.items())


def test_selector_labels_never_carry_a_version():
    assert "app.kubernetes.io/version" not in selector_labels("n", 1, "m")
