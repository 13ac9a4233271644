"""The Fresh KDS local-network protocol: UDP discovery announcements and the TCP order listener."""
