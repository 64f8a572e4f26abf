import { describe, expect, it } from 'vitest';
import { BenchmarkFileError, parseBenchmarkCsv, parseBenchmarkFile, parseBenchmarkJson } from './import-benchmarks';

describe('benchmark score files', () => {
  it('reads the long CSV shape (model, benchmark, score)', () => {
    expect(parseBenchmarkCsv('model_id,benchmark,score\nowner/a,mmlu,45.5\nowner/b,mmlu,"30"\n')).toEqual([
      { modelId: 'owner/a', benchmark: 'mmlu', score: 45.5 },
      { modelId: 'owner/b', benchmark: 'mmlu', score: 30 },
    ]);
  });

  it('reads the wide CSV shape, one column per benchmark, skipping empty and non-numeric cells', () => {
    const rows = parseBenchmarkCsv('\ufefffullname,Type,MMLU,TruthfulQA\nowner/a,pretrained,45,40%\nowner/b,chat,,38.5\n');
    expect(rows).toEqual([
      { modelId: 'owner/a', benchmark: 'MMLU', score: 45 },
      { modelId: 'owner/a', benchmark: 'TruthfulQA', score: 40 },
      { modelId: 'owner/b', benchmark: 'TruthfulQA', score: 38.5 },
    ]);
  });

  it('reads both JSON shapes, chosen by file extension', () => {
    expect(parseBenchmarkJson('{"owner/a": {"mmlu": 45, "arc": "50.5"}}')).toHaveLength(2);
    expect(parseBenchmarkFile('x.json', '[{"model": "owner/a", "benchmark": "mmlu", "score": 1}]')).toEqual([{ modelId: 'owner/a', benchmark: 'mmlu', score: 1 }]);
    expect(parseBenchmarkFile('x.csv', 'model,mmlu\nowner/a,2\n')).toEqual([{ modelId: 'owner/a', benchmark: 'mmlu', score: 2 }]);
  });

  it('refuses bad input, naming the line and the problem', () => {
    expect(() => parseBenchmarkCsv('name,score\na,1\n')).toThrow(/no model column/);
    expect(() => parseBenchmarkCsv('model,benchmark,score\nowner/a,mmlu,high\n')).toThrow(/line 2: score "high" is not a number/);
    expect(() => parseBenchmarkCsv('model,mmlu\nnot-a-repo,3\n')).toThrow(/line 2: model id "not-a-repo" is not of the form owner\/name/);
    expect(() => parseBenchmarkJson('{"owner/a": {"mmlu": null}}')).toThrow(BenchmarkFileError);
    expect(() => parseBenchmarkJson('nope')).toThrow(/not valid JSON/);
  });
});
