#!/usr/bin/env python3
# usage: cpu-sample.py OUTFILE INTERVAL  -- every INTERVAL s writes the cores used per group of processes
# (postgres, each node service by its services/<name>/src path, the importer, kafka, other node) from /proc/<pid>/stat
import os, sys, time, re
out=open(sys.argv[1],'w'); iv=float(sys.argv[2]) if len(sys.argv)>2 else 5
hz=os.sysconf('SC_CLK_TCK')
def group(pid):
    try:
        cmd=open(f'/proc/{pid}/cmdline','rb').read().replace(b'\0',b' ').decode(errors='replace')
    except Exception: return None
    if cmd.startswith('postgres'): return 'pg'
    m=re.search(r'services/(\w+)/src',cmd)
    if m: return m.group(1)
    if 'importer' in cmd: return 'importer'
    if 'kafka.Kafka' in cmd: return 'kafka'
    if 'node' in cmd: return 'node-other'
    return None
def snap():
    d={}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        g=group(p)
        if not g: continue
        try: f=open(f'/proc/{p}/stat').read().rsplit(')',1)[1].split()
        except Exception: continue
        d[(g,p)]=int(f[11])+int(f[12])
    return d
prev=snap(); t0=time.time()
while True:
    time.sleep(iv); cur=snap(); tot={}
    for k,v in cur.items():
        tot[k[0]]=tot.get(k[0],0)+(v-prev.get(k,v))
    prev=cur
    out.write(f"{time.time()-t0:7.0f} "+' '.join(f"{g}={c/hz/iv:.2f}" for g,c in sorted(tot.items()) if c)+f" total={sum(tot.values())/hz/iv:.2f}\n"); out.flush()
