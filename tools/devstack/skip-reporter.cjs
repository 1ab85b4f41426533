/*
 * A jest reporter that lists, after every run, each test that did not run and why: tests that
 * need ../shared (libs/testkit describeWithShared / itWithShared put the reason in the title as
 * "[skipped: …]") and any other skipped or todo test. A skip is never silent.
 */
'use strict';

class SkipReporter {
  onRunComplete(_contexts, results) {
    const lines = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== 'pending' && t.status !== 'todo' && t.status !== 'skipped') continue;
        const full = [...t.ancestorTitles, t.title].join(' › ');
        const m = /\[skipped: (.*?)\]/.exec(full);
        const rel = file.testFilePath.replace(results.testResults.length ? process.cwd() + '/' : '', '');
        lines.push(`  ${rel}: ${full.replace(/ \[skipped: .*?\]/g, '')}\n      why: ${m ? m[1] : t.status === 'todo' ? 'marked todo' : 'skipped in the test code (it.skip / describe.skip / -t filter)'}`);
      }
    }
    if (!lines.length) return;
    process.stderr.write(`\n[cad110] ${lines.length} test(s) skipped:\n${lines.join('\n')}\n`);
  }
}

module.exports = SkipReporter;
