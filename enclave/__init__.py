"""Offline engine and CLI of GPU Enclave: synth, render and checks without a cloud account."""
