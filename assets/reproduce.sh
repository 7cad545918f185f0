#!/usr/bin/env bash
# Reproduces every checkpoint shipped in assets/ with the project's own training code.
# Each command prints its progress and, at the end, the validation loss on the whole held-out text.
# Times are for the 2-core CPU machine this project runs on (torch.set_num_threads(2)). Every command says --device cpu:
# the shipped files were made on the CPU, and a GPU draws hard attention's sampled places from another random stream.
set -euo pipefail
cd "$(dirname "$0")/.."

# Shakespeare, LSTM 2x512 (held-out plays: Hamlet, The Tempest, Twelfth Night, Julius Caesar). About 46 minutes.
python -m core.charlm.train --device cpu --corpus shakespeare --cell lstm --hidden 512 --layers 2 --dropout 0.25 --batch 32 --chunk 100 \
  --lr 3e-3 --steps 6000 --max-seconds none --eval-every 250 --seed 0 --out assets/charlm-shakespeare-lstm.pt

# Shakespeare, vanilla RNN 2x512, for comparison: same data, width and optimiser (Adam, lower rate: it is
# less stable). About 6 minutes: the fused RNN layer is slower per step on the CPU than the fused LSTM.
python -m core.charlm.train --device cpu --corpus shakespeare --cell rnn --hidden 512 --layers 2 --dropout 0.25 --batch 32 --chunk 100 \
  --lr 1e-3 --steps 1000 --max-seconds none --eval-every 250 --seed 0 --out assets/charlm-shakespeare-rnn.pt

# Python code (the interpreter's standard library), LSTM 2x512. About 12 minutes.
python -m core.charlm.train --device cpu --corpus python --cell lstm --hidden 512 --layers 2 --dropout 0.25 --batch 32 --chunk 100 \
  --lr 3e-3 --steps 1500 --max-seconds none --eval-every 250 --seed 0 --out assets/charlm-python-lstm.pt

# Shapes-world captioners (one per decoder), trained on the frozen encoder's features of scenes 0-19,999 and scored
# on the held-out scenes 1,000,000-1,000,999 and on the same scenes drawn in the held-out user styles
# (core/vision/styles.py). The soft model trains on 10,000 plain scenes and 15,000 drawn in the training styles
# (seeds 3,000,000-3,014,999), drawn with objects against and across the canvas's edge and on backgrounds with
# structure that is not an object (dot grids, slanted hatching, pencil strokes). Features are encoded once into .cache/
# (about a minute per 1,000 plain scenes, a minute and a half per 1,000 styled ones, drawing included); the trainings
# then take about 35 (soft, 25,000 scenes), 4 (none) and 26 (hard) minutes. The soft model trains without the
# doubly stochastic penalty (--penalty 0): with the paper's weight (0.1) its attention spreads out and points worse. Both attention models feed the LSTM only where they looked
# (--feed place), not what they saw (README).
python -m core.vision.train_captioner --device cpu --attention soft --scenes 10000 --styled-scenes 15000 --val-scenes 1000 \
  --user-scenes 1000 --epochs 12 --penalty 0 --feed place --seed 0 --out assets/captioner-soft.pt
python -m core.vision.train_captioner --device cpu --attention none --scenes 20000 --val-scenes 1000 --epochs 12 \
  --seed 0 --out assets/captioner-none.pt
# Hard attention starts from the soft model's weights (they share every weight) and trains 6 epochs on the same
# scenes, with two sampled readings per caption judged against each other, a reward per word, the expected context on
# half of the updates, and the LSTM's first state from the image's pooled vector (--image-state; its weights start at
# zero, so training begins at the soft model). 26 minutes with two torch threads.
python -m core.vision.train_captioner --device cpu --attention hard --init assets/captioner-soft.pt \
  --scenes 10000 --styled-scenes 15000 --val-scenes 1000 --user-scenes 1000 --epochs 6 --lr 1e-3 --samples 2 \
  --word-reward --expected-half --feed place --image-state --seed 0 --out assets/captioner-hard.pt
# What each of those changes does, like for like (about 15 minutes; the captioning page shows the file; the shipped
# file's rows 1-5 ran two at a time with one torch thread each, rows 6-7 alone with two, which changes only its seconds).
python -m benchmarks.hard_attention --device cpu --out assets/hard-attention-ablation.json
# Last, the soft model (the one the hard model and the ablation started from) trains 3 more epochs at a lower rate with
# 5,000 more scenes in the training styles whose objects lie exactly against the canvas's edge, half of them
# ("flush" family, seeds 4,000,000-4,004,999; about 6 minutes to encode, 10 to train). It starts from, and replaces,
# assets/captioner-soft.pt.
python -m core.vision.train_captioner --device cpu --attention soft --init assets/captioner-soft.pt --scenes 10000 \
  --styled-scenes 15000 --flush-scenes 5000 --val-scenes 1000 --user-scenes 1000 --epochs 3 --lr 5e-4 --penalty 0 \
  --feed place --seed 0 --out assets/captioner-soft.pt

# Visual question answering (one checkpoint per model), trained on the questions of scenes 0-9,999 with the features
# cached above, scored on the questions of the held-out scenes 1,000,000-1,000,999. The attention model's hops are
# also trained to look at the object the question names and at the one the answer is read off (--look 1, README);
# it also trains on the questions of the first 10,000 styled scenes, and is scored on the user-style test set too.
# The shipped one was trained with one torch thread (RNN_LAB_TORCH_THREADS=1; 53 minutes while another training held
# the other core); with two threads the sums add up in another order and the figures may differ in the last digit.
RNN_LAB_TORCH_THREADS=1 python -m core.vision.train_vqa --device cpu --model attention --scenes 10000 --styled-scenes 10000 \
  --val-scenes 1000 --user-scenes 1000 --epochs 8 --look 1 --seed 0 --out assets/vqa-attention.pt
python -m core.vision.train_vqa --device cpu --model lecture --scenes 10000 --val-scenes 1000 --epochs 8 --seed 0 \
  --out assets/vqa-lecture.pt
python -m core.vision.train_vqa --device cpu --model question --scenes 10000 --val-scenes 1000 --epochs 8 --seed 0 \
  --out assets/vqa-question.pt
python -m core.vision.train_vqa --device cpu --model image --scenes 10000 --val-scenes 1000 --epochs 8 --seed 0 \
  --out assets/vqa-image.pt
