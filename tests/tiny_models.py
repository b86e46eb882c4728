"""Tiny Hugging Face models built on the spot, so engine tests never download anything.

`build_t5` and `build_gpt2` save a randomly initialised seq2seq / causal model (d_model 32,
2 layers) and a byte-level BPE tokenizer trained here on a few hundred words of our own text into a
directory that `from_pretrained` (and so `TransformersSummarizer`) loads like any real model.
Random weights generate fluent-looking nonsense at best, which is exactly what the faithfulness
guard must reject. The training text deliberately holds names and numbers found in no article.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
VOCAB_SIZE = 600
CONTEXT = 256

# Our own text (not from any article): everyday news words plus invented names and figures.
TRAINING_TEXT = """
The minister said the talks would continue next week in the capital. Officials met on Monday and
agreed a plan to cut costs by 12% before the end of the year. The committee chaired by Senator Orla
Quist voted 7 to 2 in favour. Admiral Bram Vollen of the Zephyria navy said the fleet of 14 ships
would sail on Thursday. A spokesperson for the Ministry of Harbours, Idris Mavone, told reporters the
port handled 3.8 million tonnes of cargo in October, up from 2.9 million a year earlier. "We will not
accept any delay," she said. The central office in Vellmark reported 4,812 new applications and
warned that prices could rise by 6.5 per cent. Analysts at Corvane Bank expected growth of 1.7% in
2031. The storm brought winds of 140 km/h to the northern coast and closed 27 schools. Police said
two people were injured and 19 were questioned. The president of the council, Dr Talia Renwick,
called the decision "a turning point for the region". The vote will take place on 9 March. Shares
in Holbrook Energy fell 8% after the company cut its forecast. The agency said 1.2 billion dollars
would be spent on roads, bridges and water pipes over five years. Farmers in the valley of Ostra
said the harvest was the worst since 1998. The court in Dunmere ruled that the contract was void.
Negotiators from both sides said a deal was close, but no date was set. The mayor of Calloway,
Pieter Andrade, said the new line would open in 2029 and carry 60,000 passengers a day. Ministers
signed an agreement on fishing rights, energy prices and border checks. The report found that 41%
of households had cut spending on food. Troops left the base at 6:15 on Sunday, a statement said.
The government, the opposition and the unions said they would meet again on Friday to discuss wages,
pensions and the budget for hospitals, schools and the police.
"""


def build_tokenizer(text: str = TRAINING_TEXT) -> Any:
    """A byte-level BPE tokenizer (any input encodes, nothing is unknown) with pad/eos/unk tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=[PAD, EOS, UNK],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([line for line in text.splitlines() if line.strip()], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK, model_max_length=CONTEXT
    )


def build_t5(directory: Path, seed: int = 0) -> Path:
    """A 2-layer T5 (d_model 32) with our tokenizer, saved to `directory`."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = build_tokenizer()
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_gpt2(directory: Path, seed: int = 0) -> Path:
    """A 2-layer GPT-2 (n_embd 32, 256 positions) with our tokenizer, saved to `directory`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = build_tokenizer()
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_embd=32,
        n_layer=2,
        n_head=4,
        n_positions=CONTEXT,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
