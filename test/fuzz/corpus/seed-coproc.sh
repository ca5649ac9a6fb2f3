coproc cat
coproc NAME { cat; }
coproc { cat; }
