"""Ships grammar/ (at the top of the repository, where a reader finds it) inside the wheel as matcalc/grammar."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithGrammar(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "matcalc" / "grammar"
        target.mkdir(parents=True, exist_ok=True)
        for f in Path(__file__).parent.joinpath("grammar").glob("*.lark"):
            shutil.copy(f, target / f.name)


setup(cmdclass={"build_py": BuildWithGrammar})
