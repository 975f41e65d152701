from genolearn.cli import main


def test_exercises_lists_the_registry(capsys):
    assert main(["exercises", "--chapter", "1"]) == 0
    out = capsys.readouterr().out
    assert "ch1.sigmoid" in out and "ch1.train_perceptron" in out
