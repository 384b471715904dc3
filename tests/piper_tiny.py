"""A tiny Piper voice the tests build themselves: an ONNX graph with Piper's inputs and output
(input [1, N] phoneme ids, input_lengths [1], scales [noise, length, noise_w] -> audio [1, 1, T])
and a matching .onnx.json. It "speaks" a buzz of HOP * length_scale samples per phoneme id, so
Piper's own phonemizer, id mapping, session and speed all run for real, and the length of what
comes out follows the text and the speed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

RATE = 22050
HOP = 1024


def phoneme_map(texts: list[str]) -> dict[str, list[int]]:
    """Ids for every phoneme espeak-ng (inside piper) gives for ``texts``, plus Piper's ^ $ _."""
    from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

    phonemizer = EspeakPhonemizer(ESPEAK_DATA_DIR)
    seen: list[str] = []
    for text in texts:
        for sentence in phonemizer.phonemize("vi", text):
            seen.extend(p for p in sentence if p not in seen)
    mapping = {"_": [0], "^": [1], "$": [2], " ": [3]}
    for phoneme in seen:
        mapping.setdefault(phoneme, [len(mapping)])
    return mapping


def build_voice(folder: Path, texts: list[str], name: str = "vi_VN-vais1000-medium") -> Path:
    """Write ``name``.onnx and ``name``.onnx.json into ``folder``; returns the .onnx path."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = phoneme_map(texts)

    def const(value: np.ndarray, label: str) -> onnx.NodeProto:
        return helper.make_node("Constant", [], [label], value=helper.make_tensor(
            label, TensorProto.FLOAT if value.dtype == np.float32 else TensorProto.INT64, value.shape,
            value.flatten().tolist()))

    nodes = [
        const(np.array([1], dtype=np.int64), "one_i"),
        const(np.array(float(HOP), dtype=np.float32), "hop"),
        const(np.array(0.0, dtype=np.float32), "zero_f"),
        const(np.array(1.0, dtype=np.float32), "one_f"),
        const(np.array(2 * np.pi * 160 / RATE, dtype=np.float32), "omega"),
        const(np.array([0, 1], dtype=np.int64), "axes01"),
        helper.make_node("Shape", ["input"], ["shape"]),
        helper.make_node("Gather", ["shape", "one_i"], ["n_vec"], axis=0),  # [N]
        helper.make_node("Cast", ["n_vec"], ["n_f"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["scales", "one_i"], ["length_scale"], axis=0),  # [length]
        helper.make_node("Mul", ["n_f", "hop"], ["frames_a"]),
        helper.make_node("Mul", ["frames_a", "length_scale"], ["frames_f"]),
        helper.make_node("Floor", ["frames_f"], ["frames_floor"]),
        helper.make_node("Squeeze", ["frames_floor"], ["total"]),
        helper.make_node("Range", ["zero_f", "total", "one_f"], ["t"]),
        helper.make_node("Mul", ["t", "omega"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Unsqueeze", ["wave", "axes01"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny-piper",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "phonemes"]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "samples"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="announcer-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / f"{name}.onnx"
    onnx.save(model, str(path))
    config = {
        "audio": {"sample_rate": RATE, "quality": "medium"},
        "espeak": {"voice": "vi"},
        "language": {"code": "vi_VN"},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_type": "espeak",
        "phoneme_id_map": ids,
        "num_symbols": len(ids),
        "num_speakers": 1,
        "speaker_id_map": {},
        "piper_version": "1.0.0",
    }
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
