// node_digest.js: the programs suite's node case (run.sh node_digest). Node
// runs on threads of its own (V8's platform workers, libuv's pool); this adds
// work that must cross threads: pbkdf2 on libuv's pool, and a worker_threads
// Worker that hashes on its own thread and answers by message. What it prints
// depends on the work only, so the guest's output must equal a native run's.
'use strict';
const crypto = require('crypto');
const { Worker } = require('worker_threads');

function sha(s) {
	return crypto.createHash('sha256').update(s).digest('hex');
}

let buf = '';
for (let i = 0; i < 20000; i++)
	buf += `line ${i} ${(i * 7919) % 1000}\n`;
console.log('main sha256:', sha(buf));

const pool = [];
for (let i = 0; i < 4; i++) {
	pool.push(new Promise((resolve, reject) => {
		crypto.pbkdf2(`pw${i}`, 'salt', 2000, 32, 'sha256', (err, key) =>
			err ? reject(err) : resolve(key.toString('hex')));
	}));
}

const worker = new Promise((resolve, reject) => {
	const w = new Worker(`
		const { parentPort, workerData } = require('worker_threads');
		const crypto = require('crypto');
		let h = workerData;
		for (let i = 0; i < 1000; i++)
			h = crypto.createHash('sha256').update(h).digest('hex');
		parentPort.postMessage(h);
	`, { eval: true, workerData: 'seed' });
	w.on('message', resolve);
	w.on('error', reject);
	w.on('exit', (code) => code === 0 || reject(new Error('worker exit ' + code)));
});

Promise.all([Promise.all(pool), worker]).then(([keys, w]) => {
	keys.forEach((k, i) => console.log(`pbkdf2 ${i}:`, k));
	console.log('worker:', w);
}, (err) => {
	console.error('failed:', err);
	process.exit(1);
});
