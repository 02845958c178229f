"""The directory of service providers that coordinators refer people to."""
