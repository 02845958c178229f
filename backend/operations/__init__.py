"""Operations (one intervention at one site) and their members."""
