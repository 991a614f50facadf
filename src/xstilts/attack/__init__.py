"""Model-targeted adversarial attacks on PAWS-X pairs: how hard is each checkpoint to break?

    python stages/attack.py --model models/target/anli-s13 --prepared data/prepared/pawsx \
        --results attacks/anli-s13/results.jsonl --metrics metrics/attack/anli-s13.json

A black-box, query-bounded greedy word-substitution attack of the TextFooler (Jin et al. 2020) / BAE
(Garg & Ramakrishnan 2020) family, adapted to every PAWS-X language. Per test pair and language:

1. **Units** (`units.py`): the words of both sentences as `xstilts.text.scripts.words` segments
   them: letter runs for Latin scripts, janome words for Japanese, jieba words for Chinese, eojeol
   stems (particle left outside) for Korean. Every unit counts in the pair's size; a unit is
   *editable* unless it overlaps a name or number that occurs in *both* sentences
   (`xstilts.text.entities`, common words from the validation split), lies in an untranslated
   marker sentence (`NS`), or is a one-character Han/kana word (mostly particles).
2. **Importance** (`search.py`): each editable unit deleted (or replaced by the tokenizer's mask
   token, `importance: mask`), one query per unit; the drop in the probability of the gold label
   ranks the units. At most half the remaining budget is spent on it; units left unscored follow
   the scored ones in a seeded order.
3. **Greedy substitution**: unit by unit, the candidates of every source (`sources.py`, a
   registry: adding a source is one entry) are scored in one batch. A candidate that flips the
   prediction ends the attack with success, after a confirming forward of the adversarial pair
   without padding (bf16 results can move with a batch's padding, and a flip found at the decision
   boundary must hold for the pair itself; the confirmation is a query too); otherwise the one that most
   lowers the gold label's probability is kept if it lowers it at all (TextFooler's rule).
4. **Constraints**: at most `max_edit_share` of the pair's units edited (rounded down), each unit at
   most once, never a protected span, never a deleted word (a typo may drop a letter), never
   a blank sentence; at most `query_budget` forwards per pair, counted by the driver that runs
   the model (every pair scored is one query, batched or not, the first prediction included).

Candidate sources, all offline: `lexicon` (the word's translation in a donor language, from the
mutual-best Dice lexicon `xstilts.text.lexicon` aligns on the parallel *validation* split, as
the `code_mixing` family does), `embedding` (nearest neighbours of the word among the checkpoint's
own input word embeddings, restricted to whole-word vocabulary entries of the same script set,
`embeddings.py`) and `char_noise` (the typo operations of `xstilts.text.typos`: keyboard
neighbours, swaps, drops, inserts; Han/kana drops, duplicates and swaps; Korean jamo edits).

**Why the edits keep the label, for both labels.** A label-1 pair is a paraphrase; a translation of
one word into another language, a near-synonym or inflection of it, or a typo leaves the meaning of
its sentence unchanged, so the pair remains a paraphrase (the `code_mixing` and `char_noise`
families rest on the same argument). A label-0 pair in PAWS differs in meaning through word order
or a swapped entity, i.e. through the *relations* between words that both sentences share; an edit
of one word's surface in one sentence neither reorders the words nor touches the shared names and
numbers, so it cannot make the two sentences mean the same: the pair stays a non-paraphrase.
Attacking both labels is therefore sound and matches how the test set is scored.

**Limits.** No human or NLI check judges each adversarial pair: an input-embedding neighbour is a
neighbour, not a guaranteed synonym (multilingual input embeddings put translations, inflections
and related words together: "married" ~ "marriage"; an antonym may slip through where it is close;
`min_similarity` bounds this), lexicon alignments from a small validation split can be wrong, and a
one-word translation into another language makes the sentence code-mixed. Function words are not
excluded beyond one-character CJK words. The success rates are thus an upper bound on what an
attacker constrained to strictly meaning-preserving edits would achieve, the same bound for every
checkpoint: the comparison between intermediate tasks, which is the research question, is fair.
Read successful pairs in `attacks/<run>/results.jsonl` before trusting a difference.

Metrics (TextAttack's definitions, `xstilts.metrics.definitions.attack_success_rate` and
`xstilts.attack.metrics`): an attacked pair the model gets wrong before any edit is *skipped*; of
the others the attack *succeeds* or *fails*. Success rate = successful / (successful + failed);
accuracy under attack = failed / all; mean queries over successful and failed attacks; mean share
of units edited over successful attacks.
"""
